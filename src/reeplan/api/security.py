"""Who is calling: tokens (Bearer header or the dashboard's login cookie) or proxy headers.

* No token configured and a loopback bind: every caller is the local analyst ``local``.
* Tokens configured: every request but ``/healthz``, ``/readyz``, ``/static`` and ``/login``
  needs one; a viewer token reads, an analyst token also submits and cancels jobs.
* ``auth = "proxy"``: the reverse proxy's user and role headers are trusted (role defaults to
  viewer).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import HTTPException, Request, status

from reeplan.api.config import ApiSettings, Role

__all__ = ["COOKIE", "User", "authenticate", "require_analyst"]

COOKIE = "reeplan_token"
"""Cookie the dashboard's login form sets (HttpOnly, SameSite=Strict)."""


@dataclass(frozen=True)
class User:
    """The caller: a name (job limits are per name) and a role."""

    name: str
    role: Role

    @property
    def can_submit(self) -> bool:
        """Whether this user may submit and cancel jobs."""
        return self.role == "analyst"


LOCAL = User("local", "analyst")


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(COOKIE) or None


def lookup(settings: ApiSettings, token: str | None) -> User | None:
    """The user whose token is ``token`` (constant-time comparison), or None."""
    if not token:
        return None
    found = None
    for u in settings.users():
        if hmac.compare_digest(u.token.get_secret_value().encode(), token.encode()):
            found = User(u.name, u.role)
    return found


def authenticate(request: Request, settings: ApiSettings) -> User:
    """The calling user.

    Raises
    ------
    HTTPException
        401 when a token is needed and missing or wrong (or the proxy sent no user).
    """
    if settings.auth == "proxy":
        name = request.headers.get(settings.proxy_user_header, "").strip()
        if not name:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                                f"missing {settings.proxy_user_header} header")
        role = request.headers.get(settings.proxy_role_header, "viewer").strip().lower()
        return User(name[:100], "analyst" if role == "analyst" else "viewer")
    if not settings.users():
        return LOCAL
    user = lookup(settings, _token(request))
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a valid token is needed",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


def require_analyst(user: User) -> User:
    """``user`` if they may submit jobs.

    Raises
    ------
    HTTPException
        403 for a viewer.
    """
    if not user.can_submit:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"user {user.name!r} is a viewer: submitting and cancelling jobs "
                            "needs an analyst token")
    return user
