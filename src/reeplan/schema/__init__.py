"""Schema of reeplan's inputs: the dataset tables and their types."""

from reeplan.schema.tables import TABLES, Row, SourcedRow

__all__ = ["TABLES", "Row", "SourcedRow"]
