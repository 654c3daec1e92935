"""Indicators of US exposure: shares, HHI, net import reliance, coverage, independence,
criticality indices (EU CRM supply risk, GeoPolRisk), chokepoints, and views of the chain.

Pure ``calc_*`` functions live in :mod:`~reeplan.indicators.flows` and
:mod:`~reeplan.indicators.criticality`; the rest applies them to a dataset or a chain.
"""
