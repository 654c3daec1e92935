"""The bundled dataset's finance inputs, loaded once for the finance tests."""

from reeplan.finance.inputs import finance_inputs
from reeplan.io.readers import load_dataset

FIN = finance_inputs(load_dataset())
RISK = FIN.risk
SOURCES = FIN.source_ids
