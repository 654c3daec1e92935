"""Report output: figures (:mod:`reeplan.report.plots`) and rendered briefs."""
