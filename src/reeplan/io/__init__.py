"""Reading and writing reeplan inputs and results."""
