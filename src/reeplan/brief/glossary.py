"""The glossary of the brief and the workbook: every term a reader meets, in plain words."""

from __future__ import annotations

__all__ = ["GLOSSARY"]

GLOSSARY: dict[str, str] = {
    "Time to survive (TTS)": (
        "How long US demand of one use (for example defense Dy magnets) can still be met in "
        "full after a disruption starts, from inventories, the stockpile and the supply that "
        "is left. Read 'defense Dy: 0.2 years without the stockpile, 0.7 years with it' as: "
        "about 2 months after a full embargo the first defense order goes unfilled, and the "
        "National Defense Stockpile pushes that back by about 6 months. 'No shortfall before "
        "2040' means demand is met in full to the end of the simulation."),
    "Time to recover (TTR)": (
        "How long after the first shock it takes until supply meets demand again for good "
        "(new plants, allied output, market response). A use is exposed when time to survive "
        "is shorter than time to recover: the gap is the period of unmet demand. 'Still "
        "short at end of 2040' means it never recovers within the simulation."),
    "P5, P50, P95": (
        "Percentiles over the Monte Carlo samples. P50 is the median outcome; 90 % of samples "
        "fall between P5 and P95. A sum of P50s across uses is not the P50 of the sum; the "
        "brief says so where it adds them."),
    "Net import reliance (NIR)": (
        "USGS definition: the share of US apparent consumption that is imported, "
        "(consumption − US production) / consumption, where consumption = production + imports "
        "− exports − stock change. A net exporter has a negative value, shown as E."),
    "Independence": (
        "The share of US demand a supply chain with no Chinese stage could serve, checked "
        "stage by stage (mining, separation, metal, magnet). 'Allied access' assumes all "
        "allied output is available to the US, an upper bound; 'US plants only' counts "
        "domestic plants."),
    "HHI": (
        "Herfindahl–Hirschman index: the sum of squared market shares, 0 to 1. Above 0.25 is "
        "highly concentrated; 1 is a monopoly. Where only the leader's share is known, the "
        "HHI is a lower bound."),
    "China's share": "China's share of world output at a stage, in tonnes REO-equivalent.",
    "t REO-eq": (
        "Tonnes of rare-earth oxide equivalent: metal, alloy and magnet tonnages converted to "
        "the oxide content, so stages can be added up."),
    "Weighted tonnes": (
        "Shortfall in t REO-eq with defense tonnes counted 10 times civilian ones (the "
        "portfolio's default weight). The optimiser minimises expected weighted tonnes."),
    "Scored cost": (
        "What an award costs the government in the budget: the expected present value of "
        "grants, the FCRA subsidy cost of loans and guarantees, expected price-floor payments "
        "and equity outlay less its risk-adjusted value."),
    "$ per weighted tonne": (
        "Scored cost of the awards divided by the expected weighted shortfall they avoid."),
    "Months of defense cover": (
        "The extra time to survive of defense demand that the awards buy, in months (P50, "
        "best element group)."),
    "Coverage": (
        "US output (or routed supply) divided by the US requirement at a stage; above 100 % "
        "the US makes more than it uses."),
    "Plant input and output": (
        "A plant's input is the feed it receives; its output is what it ships after process "
        "losses. Sankey bands show tonnes shipped; hovering over a node shows both. Exposure "
        "tables report output."),
    "Hub rule": (
        "Capacity counts for the US only where every stage of its chain is outside China."),
    "Stockpile (NDS)": (
        "The National Defense Stockpile; in the simulation it releases material to defense "
        "demand only."),
    "DPA Title III": (
        "Defense Production Act authority to fund domestic industrial capacity with grants, "
        "loans, guarantees, purchase commitments and price floors."),
}
"""Term → plain-words definition, in reading order."""
