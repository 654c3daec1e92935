"""reeplan: a sourced model of the rare-earth supply chain for US planners.

It holds a bundled, sourced dataset; measures US exposure; simulates disruptions; models DPA
Title III and related instruments; and optimises a portfolio of awards.
"""

from reeplan.errors import DataError, Problem, ReeError
from reeplan.io.readers import bundled_data_dir, load_dataset

__version__ = "0.1.0"

__all__ = ["DataError", "Problem", "ReeError", "__version__", "bundled_data_dir", "load_dataset"]
