"""Statutory bookkeeping of a package (``dpa.md`` §1.3, §2.3–2.6, §3.1).

* cumulative Title III actions **per shortfall** (determination) against the $50M threshold of
  §303(a)(6)(B): crossing it requires written notice and a 30-day wait, unless a §303(a)(7) waiver
  or national emergency applies (EO 14241 waived it for minerals in March 2025);
* the **DPA Fund** (50 U.S.C. 4534): contingent liabilities are obligations against the Fund, and
  its end-of-year balance is capped at $750M, so commitments beyond that need appropriations in
  advance; we report both the maximum exposure (conservative) and the expected cost;
* **cost share**: technology investment agreements default to at least 50 % recipient share;
* **OSC**: at least 80 % of the capital for a technology from non-federal sources (10 U.S.C.
  149(d)), and the "section 8140" test that repayment must not come mostly from federal sources;
* **authority**: most DPA authorities lapsed on 30 September 2025.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reeplan.finance.instruments import Grant, Package
from reeplan.finance.project import Project
from reeplan.finance.valuation import InstrumentValue

__all__ = [
    "DPA_FUND_CAP_MUSD",
    "DPA_LAPSE_YEAR",
    "NOTIFICATION_THRESHOLD_MUSD",
    "NOTIFICATION_WAIT_YEARS",
    "BookWarning",
    "Bookkeeping",
    "calc_bookkeeping",
]

NOTIFICATION_THRESHOLD_MUSD = 50.0
"""§303(a)(6)(B): aggregate outstanding actions per shortfall above which a 30-day wait applies."""
NOTIFICATION_WAIT_YEARS = 30 / 365.25
DPA_FUND_CAP_MUSD = 750.0
"""50 U.S.C. 4534: end-of-fiscal-year balance cap of the DPA Fund."""
DPA_LAPSE_YEAR = 2025.747
"""30 September 2025, when most DPA authorities expired (decimal year)."""
OSC_MAX_FEDERAL_SHARE = 0.2
"""10 U.S.C. 149(d): at least 80 % of capital from non-federal sources for OSC direct loans."""


@dataclass(frozen=True)
class BookWarning:
    """A statutory threshold the package crosses."""

    code: str
    message: str
    source_id: str


@dataclass(frozen=True)
class Bookkeeping:
    """Statutory totals and warnings of one package."""

    shortfalls: pd.DataFrame
    """Per shortfall (each instrument's own, default the project's): prior, package and
    cumulative Title III $ (maximum exposure of contingent actions) and whether $50M is
    crossed."""
    dpa_fund_max_musd: float
    """Maximum contingent exposure of the package's Title III actions (conservative obligation)."""
    dpa_fund_expected_musd: float
    """Expected PV cost of the same actions."""
    notification_wait_years: float
    warnings: list[BookWarning]


def calc_bookkeeping(project: Project, package: Package, values: list[InstrumentValue]
                     ) -> Bookkeeping:
    """Check a valued package against the statutory thresholds.

    Parameters
    ----------
    project
        The project (its shortfall and capex).
    package
        The package (waiver, authority and prior totals).
    values
        The valued instruments, in package order.

    Returns
    -------
    Bookkeeping
        Totals per shortfall, DPA Fund obligations and warnings.
    """
    warnings: list[BookWarning] = []
    t3 = [v for v in values if v.authority == "dpa_title_iii"]
    rows = []
    wait = 0.0
    for shortfall in dict.fromkeys(v.shortfall for v in t3):
        added = sum(v.title_iii_musd for v in t3 if v.shortfall == shortfall)
        prior = package.prior_title_iii_musd.get(shortfall, 0.0)
        total = prior + added
        crossed = total > NOTIFICATION_THRESHOLD_MUSD and added > 0
        rows.append({"shortfall": shortfall, "prior_musd": prior, "package_musd": added,
                     "cumulative_musd": total, "threshold_musd": NOTIFICATION_THRESHOLD_MUSD,
                     "crossed": crossed})
        if not crossed:
            continue
        if package.waiver_303a7:
            warnings.append(BookWarning(
                "notification_waived",
                f"cumulative Title III actions for shortfall '{shortfall}' reach "
                f"${total:,.0f}M (> $50M); the 30-day notice wait is waived (§303(a)(7))",
                "fin_usc_4533"))
        else:
            wait = NOTIFICATION_WAIT_YEARS
            warnings.append(BookWarning(
                "notification_30_day",
                f"cumulative Title III actions for shortfall '{shortfall}' reach "
                f"${total:,.0f}M (> $50M): written notice to the Senate Banking and House "
                "Financial Services committees and a 30-day wait before acting (§303(a)(6)(B))",
                "fin_usc_4533"))
    shortfalls = pd.DataFrame(rows, columns=["shortfall", "prior_musd", "package_musd",
                                             "cumulative_musd", "threshold_musd", "crossed"])
    fund_max = sum(v.max_exposure for v in t3)
    fund_exp = sum(float(v.pv_cost.mean()) for v in t3)
    if fund_max > DPA_FUND_CAP_MUSD:
        warnings.append(BookWarning(
            "dpa_fund_cap",
            f"Title III contingent liabilities of up to ${fund_max:,.0f}M (expected "
            f"${fund_exp:,.0f}M) are obligations against the DPA Fund, whose end-of-year "
            f"balance is capped at ${DPA_FUND_CAP_MUSD:,.0f}M: the commitment needs "
            "appropriations in advance (Antideficiency Act exposure)", "fin_usc_4534"))
    for inst in package.instruments:
        if isinstance(inst, Grant):
            eligible = (inst.eligible_cost_musd.value if inst.eligible_cost_musd is not None
                        else project.capex_musd.value)
            share = inst.amount_musd.value / eligible if eligible else 1.0
            if share > inst.cost_share.value + 1e-9:
                warnings.append(BookWarning(
                    "cost_share",
                    f"grant '{inst.id}' covers {share:.0%} of the eligible cost, above the "
                    f"{inst.cost_share.value:.0%} federal share (TIA default: recipient pays at "
                    "least 50 %; a lower recipient share needs justification)",
                    "fin_hk_tia_cost_share"))
        if (inst.kind == "direct_loan" and inst.authority == "osc"
                and inst.beneficiary == "project"):
            share = inst.principal_musd.value / project.capex_musd.value
            if share > OSC_MAX_FEDERAL_SHARE:
                warnings.append(BookWarning(
                    "osc_non_federal_share",
                    f"OSC loan '{inst.id}' is {share:.0%} of project capital; 10 U.S.C. 149(d) "
                    "asks at least 80 % from non-federal sources (may be measured per "
                    "technology, not per project)", "fin_usc_149"))
        if (inst.authority == "dpa_title_iii" and inst.year.value > DPA_LAPSE_YEAR
                and not package.dpa_reauthorized):
            warnings.append(BookWarning(
                "dpa_lapsed",
                f"'{inst.id}' is dated after 30 Sep 2025, when Title III authority lapsed; "
                "set dpa_reauthorized: true if it has been restored", "fin_haynesboone_dpa_lapse"))
    credit_osc = any(i.kind in ("direct_loan", "loan_guarantee") and i.authority == "osc"
                     for i in package.instruments)
    purchases = sum(float(v.details.get("gross_purchases_musd", 0.0)) for v in values
                    if v.kind in ("offtake", "stockpile_purchase") and v.beneficiary == "project")
    if credit_osc and purchases > 0:
        warnings.append(BookWarning(
            "fcra_8140",
            "the package combines OSC credit with federal purchases of the project's output; "
            "OSC's section 8140 test excludes projects repaid mostly from federal sources, which "
            "would score the credit as direct spending", "fin_osc_nofa_2024"))
    return Bookkeeping(shortfalls=shortfalls, dpa_fund_max_musd=fund_max,
                       dpa_fund_expected_musd=fund_exp, notification_wait_years=wait,
                       warnings=warnings)
