"""Who may do what on the dashboard, and how a browser proves it.

Reading: anyone who reaches the server under one of its own names (`Host`, as the control
API's guard checks it: a page of another site cannot read the dashboard through DNS
rebinding). Acting: only with the control API on, and then only with its token (unless the
control API runs open), which the page asks once and the server keeps in a cookie:

- `HttpOnly`: no script, this page's or an injected one, can read it.
- `SameSite=Strict`: the browser sends it with no request another site starts, not even a
  link followed from there.
- Its value is not the token but a keyed digest of it (`session_value`): a cookie that leaks
  (cookies are not kept apart by port, so another service on the same host name receives it)
  opens this dashboard's actions, never the control API itself.

Every change-making request is also refused unless it comes from this server's own pages
(`control.guard.refuse_cross_site`: `Origin`, `Sec-Fetch-Site`, `Host`) and carries a JSON
body (a YAML one for a seed), which a page of another origin cannot send without a CORS
preflight this server never grants. SameSite alone would not be enough: another port of
the same host (`localhost:3000`) is the same *site*, so its pages would carry the cookie; their
`Origin` names the other port, and that is refused. Together these stand in for a CSRF token:
a request the cookie rides on was made by a page of this origin.
"""

import hashlib
import hmac

from starlette.requests import Request
from starlette.responses import Response

from uforge_mock.control.guard import JSON_MEDIA_TYPES, refuse_cross_site, require_media_type
from uforge_mock.settings import Settings
from uforge_mock.wire.errors import ServiceUnavailable, Unauthorized

COOKIE = "uforge_mock_dashboard"
# What the session value is a digest of (keyed with the token).
_SESSION_PURPOSE = b"uforge-mock dashboard session v1"


class DashboardLocked(Unauthorized):
    """An action without the control token's cookie, or a wrong token at login."""

    message_id = "mock.error.dashboard.unauthorized"
    default_message = "The dashboard's actions need the control token"

    def headers(self) -> dict[str, str]:
        # Not `Basic`: a browser would open its own password dialog over the page.
        return {"WWW-Authenticate": 'Bearer realm="uforge-mock dashboard"'}


class DashboardBusy(ServiceUnavailable):
    """More live updates asked at once than `dashboard_max_live_requests` (503, Retry-After)."""

    message_id = "mock.error.unavailable.dashboard"
    default_message = "Too many dashboards are asking for news at once: try again later"


def needs_token(settings: Settings) -> bool:
    """Whether acting needs the token (as the control API: open mode without a token not)."""
    return not settings.control_open or bool(settings.control_token)


def session_value(token: str) -> str:
    return hmac.new(token.encode(), _SESSION_PURPOSE, hashlib.sha256).hexdigest()


def has_session(request: Request, settings: Settings) -> bool:
    """Whether the request carries the cookie of the current token."""
    given = request.cookies.get(COOKIE, "")
    expected = session_value(settings.control_token)
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def may_act(request: Request, settings: Settings) -> bool:
    """Whether this browser may use the actions (the control API on, and unlocked)."""
    if not settings.control_enabled:
        return False
    return not needs_token(settings) or has_session(request, settings)


def refuse_foreign_change(
    request: Request, settings: Settings, media_types: tuple[str, ...] = JSON_MEDIA_TYPES
) -> None:
    """A change-making request only from this server's own pages, in its own media types."""
    refuse_cross_site(request, settings)
    require_media_type(request, media_types)


def check_token(token: str, settings: Settings) -> None:
    """Raise `DashboardLocked` unless `token` is the control token."""
    expected = settings.control_token.encode()
    if not hmac.compare_digest(token.strip().encode(), expected):
        raise DashboardLocked("Wrong control token")


def set_session(response: Response, request: Request, settings: Settings) -> None:
    response.set_cookie(
        COOKIE,
        session_value(settings.control_token),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
    )
