"""Rows of ``parameters.csv`` that the model requires (checked by ``data check`` and the chain)."""

from __future__ import annotations

__all__ = ["PARAMETER_IDS"]

PARAMETER_IDS: dict[str, str] = {
    "yield_separation": "separation_recovery",
    "yield_metal": "oxide_to_metal_process_yield",
    "yield_magnet": "metal_to_magnet_yield",
    "re_fraction_ndfeb": "ndfeb_re_mass_fraction",
    "re_fraction_smco": "smco_sm_mass_fraction",
    "completion_construction": "completion_prob_construction",
    "completion_planned_financed": "completion_prob_planned_financed",
    "completion_planned": "completion_prob_planned_unfinanced",
    "ramp_up_years": "rampup_years_to_nameplate",
}
"""Chain parameter (a field of ``reeplan.chain.params.ChainParams``) -> id of its row in
``parameters.csv``."""
