"""One module per section of the brief."""
