"""Labelled assumptions of the simulator: every default not taken from the dataset.

Each entry names an assumption id (referred to in the schema's field docs) and its reasoning;
runs report them with their results.
"""

from __future__ import annotations

__all__ = ["ASSUMPTIONS"]

ASSUMPTIONS: dict[str, str] = {
    "asm_sim_dx_share": "DX share of defense rare-earth demand 0.5: no public split of DX vs DO "
    "rated demand; major programs (F-35, Columbia/Virginia submarines) are DX (dpa.md §1.2).",
    "asm_sim_inventory_cover": "Commercial inventories of US users 0.5 quarter of demand: no "
    "sourced figure; Project Vault's planned ~60-day buffer (ree-data.md §7) is of the same "
    "order.",
    "asm_sim_price_cap": "Price multiple capped at 10x the base price: the 2011 spike took Dy "
    "oxide above $1,400/kg, several times its pre-crisis level (ree-data.md §8).",
    "asm_sim_china_absorption": "China's quota system and state reserve absorb about 90 % of "
    "exports it denies: China-domestic Dy oxide fell only ~18 % from Jun to Dec 2025 "
    "(prices rows smm_dy_oxide_2025_06_16, smm_dy_oxide_2025_12_25) while exports collapsed.",
    "asm_sim_market_stocks": "Ex-China commercial stocks (the same cover as US users) buffer "
    "the price response and refill from unused ramp-up capacity.",
    "asm_sim_defense_substitution": "Defense demand does not substitute or thrift within the "
    "horizon (qualified materials on fielded platforms).",
    "asm_sim_nds_release_delay": "NDS release ordered at the first shock (or an earlier "
    "defense shortfall), material available 30 days later (presidential order under 50 U.S.C. "
    "98f plus DLA logistics, dpa.md §5.1; no published lead time).",
    "asm_sim_nds_acquired": "The NDS holds the Annual Materials Plan quantities in stockpile_plan "
    "(potential acquisitions); Dy/Tb holdings NOT FOUND, counted only inside NdFeB block.",
    "asm_sim_market_lag": "Market response (ramp-up, substitution) starts one quarter after the "
    "ex-China deficit appears and grows linearly at the Sprecher et al. (2017) rates.",
    "asm_sim_dpa_in_force": "DPA Title I is treated as in force throughout: the authorities "
    "lapsed on 30 Sep 2025 (fin_haynesboone_dpa_lapse), contracts placed before continue and "
    "extension bills are pending (dpa.md §1.3); set dpa.end: 2025-09-30 to model the lapse.",
    "asm_sim_elasticity_path": "Elasticities move linearly from their short-run to their "
    "long-run values over the adjustment years (build_years_separation: short-run supply is "
    "capacity-constrained within build times, parameters note).",
    "asm_sim_quarters": "Annual chain quantities are spread evenly over the four quarters of "
    "each year; capacity added in a year is available from its first quarter.",
    "asm_sim_routing": "Shocked flows keep the base chain's routing shares; denied material "
    "stays with the exporter (no re-routing beyond market response, the reallocation of "
    "allied output and DPA flow-down).",
    "asm_sim_allied_reallocation": "Under a control, the clean (non-adversary) output that "
    "non-controlling origins would have sold to the controlling exporter's plants, in the "
    "share the control traps there, goes to non-controlling plants pro rata to their lost "
    "purchases (up to their pre-shock purchases and capacity): ex-China buyers outbid a market "
    "whose output cannot leave. Foreign plants are not bound by DPAS (dpa.md §1.4).",
    "asm_sim_ttr_materiality": "Time to recover ends with the last quarter in which unmet "
    "demand exceeds 1 % of the use's demand (no sourced threshold; of the order of the "
    "forecast sensitivity of the NDS requirements model, about 5 %, dpa.md §5.3).",
    "asm_sim_fdpr_lots": "Foreign-product rule: third-country output is covered in proportion "
    "to its adversary-origin content (segregated lots); blended lots cover all output once "
    "the content share reaches the de minimis threshold.",
    "asm_sim_row_exports": "Third-country end-use sales to ROW count as exports for the "
    "foreign-product rule; the exporter's own ROW end-use flows count as exports by the share "
    "of its trade_links exports in its stage output (1 when no trade row exists).",
}
"""Labelled assumptions of the simulator (id -> reasoning); defaults below refer to them."""
