"""One APIRouter per resource; :mod:`pages` is the dashboard."""
