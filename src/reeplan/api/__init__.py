"""HTTP API and web dashboard (``reeplan serve``): a layer beside the CLI over the workflows.

:func:`create_app` builds the FastAPI application: one router per resource under ``/api``
(OpenAPI at ``/docs``), the dashboard pages, ``/healthz`` and ``/readyz``. Long computations run
as background jobs recorded in the run store (:mod:`reeplan.api.jobs`). See ``docs/api.md``.
"""

from reeplan.api.app import create_app
from reeplan.api.config import ApiSettings, check_bind, get_api_settings

__all__ = ["ApiSettings", "check_bind", "create_app", "get_api_settings"]
