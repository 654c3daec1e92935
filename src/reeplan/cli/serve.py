"""`reeplan serve`: the HTTP API and web dashboard (needs the ``api`` extra)."""

from __future__ import annotations

from typing import Annotated

import typer

from reeplan.cli.common import err, fail
from reeplan.errors import ReeError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""
    app.command("serve")(serve)


def serve(
    host: Annotated[str | None, typer.Option(
        help="Address to listen on \\[default: 127.0.0.1]. Any other address needs a token "
             "(--token or REEPLAN_API_TOKEN) or --auth proxy.", show_default=False)] = None,
    port: Annotated[int | None, typer.Option(help="Port \\[default: 8000].",
                                             show_default=False)] = None,
    store: Annotated[str | None, typer.Option(
        help="Run store: a SQLite path or URL, or postgresql://... (default: user data "
             "dir).", show_default=False)] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address: every user's simulations run on that cluster.",
        show_default=False)] = None,
    token: Annotated[str | None, typer.Option(
        help="Analyst token (read and submit jobs); prefer REEPLAN_API_TOKEN, which does not "
             "show in the process list.", show_default=False)] = None,
    viewer_token: Annotated[str | None, typer.Option(
        help="Read-only token (or REEPLAN_API_VIEWER_TOKEN).", show_default=False)] = None,
    auth: Annotated[str | None, typer.Option(
        help="token (default) or proxy: trust X-Forwarded-User/X-Forwarded-Role from an "
             "authenticating reverse proxy.", show_default=False)] = None,
    data_dir: Annotated[str | None, typer.Option(
        help="Server folder for briefs and uploaded overlays.", show_default=False)] = None,
    log_level: Annotated[str, typer.Option(help="Log level.")] = "info",
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) and the web dashboard."""
    try:
        import uvicorn

        from reeplan.api import check_bind, create_app, get_api_settings
        from reeplan.api.logs import log_config
    except ImportError as exc:
        raise fail(ReeError(f"reeplan serve needs the api extra: pip install 'reeplan[api]' "
                            f"({exc})")) from None
    try:
        api = get_api_settings(host=host, port=port, store=store, scheduler=scheduler,
                               token=token, viewer_token=viewer_token, auth=auth,
                               data_dir=data_dir)
        check_bind(api)
        application = create_app(api)
    except ReeError as exc:
        raise fail(exc) from None
    err.print(f"reeplan: serving on http://{api.host}:{api.port} (dashboard at /, API docs "
              "at /docs)", markup=False)
    uvicorn.run(application, host=api.host, port=api.port, log_config=log_config(log_level),
                access_log=False, timeout_graceful_shutdown=10)
