"""Settings of the HTTP API and dashboard, and the rule that guards a non-loopback bind.

Every value comes from an option of ``reeplan serve``, then a ``REEPLAN_API_*`` environment
variable, then the default below. Tokens:

* ``token`` (``--token`` / ``REEPLAN_API_TOKEN``): the analyst token (read, and submit jobs);
* ``viewer_token`` (``--viewer-token`` / ``REEPLAN_API_VIEWER_TOKEN``): read only;
* ``tokens`` (``REEPLAN_API_TOKENS``): more users, ``name:role:token`` separated by commas
  (role ``viewer`` or ``analyst``), so that job limits apply per person.

``auth = "proxy"`` trusts a reverse proxy (OIDC, SSO) that authenticates users and sets
``X-Forwarded-User`` and ``X-Forwarded-Role``; use it only when the app is reachable through that
proxy alone (see docs/api.md).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reeplan.errors import ReeError

__all__ = ["ApiSettings", "Role", "TokenUser", "check_bind", "get_api_settings", "is_loopback"]

Role = Literal["viewer", "analyst"]


class TokenUser(BaseModel):
    """One user known by a token."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    role: Role
    token: SecretStr


class ApiSettings(BaseSettings):
    """Settings of ``reeplan serve`` (validated; unknown keys are errors)."""

    model_config = SettingsConfigDict(env_prefix="REEPLAN_API_", extra="forbid", frozen=True,
                                      allow_inf_nan=False)

    host: str = "127.0.0.1"
    """Address to listen on; anything but loopback needs a token or the proxy mode."""
    port: int = Field(8000, ge=0, le=65535)
    store: str | None = None
    """Run store URL or path (default: ``REEPLAN_STORE``, else the user data directory)."""
    scheduler: str | None = None
    """Dask scheduler address: simulations of every user's jobs run on that cluster."""
    token: SecretStr | None = None
    """Analyst token (read and submit jobs)."""
    viewer_token: SecretStr | None = None
    """Viewer token (read only)."""
    tokens: str = ""
    """More users: ``name:role:token,name:role:token``."""
    auth: Literal["token", "proxy"] = "token"
    """``token`` (Bearer header or login cookie) or ``proxy`` (trusted reverse-proxy headers)."""
    proxy_user_header: str = "X-Forwarded-User"
    proxy_role_header: str = "X-Forwarded-Role"
    data_dir: Path = Field(default_factory=lambda: platformdirs.user_data_path(
        "reeplan", appauthor=False) / "api")
    """Server-side folder for briefs and uploaded overlays (never named by clients)."""
    job_workers: int = Field(2, ge=1, le=64)
    """Jobs running at once on this server (more wait in the queue)."""
    max_jobs_per_user: int = Field(2, ge=1, le=100)
    """Jobs a user may have queued or running at once."""
    max_samples: int = Field(20_000, ge=1, le=200_000)
    """Largest Monte Carlo sample count of one request."""
    max_job_seconds: float = Field(1800.0, gt=0, le=86_400)
    """Wall-clock limit of one job; it fails when exceeded."""
    max_body_bytes: int = Field(10 * 2**20, ge=1024, le=2**30)
    """Largest request body (uploads included)."""
    instance: str = ""
    """Name of this server in the run store (default ``HOST:PORT``); runs it left ``running``
    after a crash are marked failed when it starts again."""
    preload: bool = True
    """Load the dataset and build the chain at start-up (the first page is then fast)."""

    @field_validator("tokens")
    @classmethod
    def _check_tokens(cls, value: str) -> str:
        parse_tokens(value)
        return value

    def users(self) -> list[TokenUser]:
        """Every user known by a token."""
        out = parse_tokens(self.tokens)
        if self.token is not None and self.token.get_secret_value():
            out.append(TokenUser(name="analyst", role="analyst", token=self.token))
        if self.viewer_token is not None and self.viewer_token.get_secret_value():
            out.append(TokenUser(name="viewer", role="viewer", token=self.viewer_token))
        return out

    @property
    def instance_name(self) -> str:
        """This server's name in the run store."""
        return self.instance or f"{self.host}:{self.port}"


def parse_tokens(value: str) -> list[TokenUser]:
    """``name:role:token`` entries separated by commas (empty: none)."""
    out = []
    for i, part in enumerate(p.strip() for p in value.split(",")):
        if not part:
            continue
        bits = part.split(":", 2)
        if len(bits) != 3 or bits[1] not in ("viewer", "analyst") or len(bits[2]) < 8:
            msg = (f"tokens entry {i + 1} must be name:role:token with role viewer or analyst "
                   "and a token of at least 8 characters")
            raise ValueError(msg)
        out.append(TokenUser(name=bits[0], role=bits[1], token=SecretStr(bits[2])))
    return out


def get_api_settings(**overrides: object) -> ApiSettings:
    """API settings with ``overrides`` (``None`` ignored).

    Raises
    ------
    ReeError
        Naming the setting and what is wrong.
    """
    try:
        return ApiSettings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(x) for x in first["loc"]) or "settings"
        msg = (f"--{name.replace('_', '-')} (or REEPLAN_API_{name.upper()}): "
               f"{first['msg'].removeprefix('Value error, ')}")
        raise ReeError(msg) from None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``."""
    if host.strip().lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(settings: ApiSettings) -> None:
    """Refuse a non-loopback address without a token (or the reverse-proxy mode).

    Raises
    ------
    ReeError
        When the server would listen on a network address with no authentication.
    """
    if is_loopback(settings.host) or settings.auth == "proxy" or settings.users():
        return
    msg = (f"refusing to listen on {settings.host} without a token: anyone on the network "
           "could run jobs. Set REEPLAN_API_TOKEN (or --token), or --auth proxy behind an "
           "authenticating reverse proxy, or listen on 127.0.0.1")
    raise ReeError(msg)
