"""What keeps a web page from driving the control API: the checks `control_access` makes on
every `/_mock` request before the token, and the media types of the change-making ones.

The threat. The control API changes everything the mock serves (a seed creates users, admins
included), and it often runs open or on a developer's machine, where any web page the
developer opens can make the browser send requests to `http://127.0.0.1:8080`. The bearer token
does not settle it: it stops a page that does not know the token, not a page on a server that
runs open. So the API refuses what a browser sends on a page's behalf, in open mode and with a
token alike (the checks below come before the token's; the media type after it):

1. **Simple requests.** Without a CORS preflight a page may send GET, HEAD and POST with a body
   of `text/plain`, `application/x-www-form-urlencoded` or `multipart/form-data` (a form, or
   `fetch(..., {mode: "no-cors"})`), and a POST with no `Content-Type` at all (a `Blob` body
   without a type, or no body). It cannot read the answer, but the change is made: a
   `text/plain` body holding a JSON seed created an admin. Change-making requests (POST, PUT,
   PATCH, DELETE) therefore take only their own media types, `application/json` (and YAML for
   a seed: `application/yaml`, `application/x-yaml`, `text/yaml`), which a page can send only
   after a preflight this server never grants (it answers no `OPTIONS` and sends no
   `Access-Control-*` header); anything else is 415. A request without a body
   (reset, DELETE) may leave `Content-Type` out, as the CLI and the test fixture do; a body
   without one is 415.
2. **Where the request comes from.** The media type alone leaves a body-less POST to
   `/_mock/reset` (`fetch(url, {method: "POST", mode: "no-cors"})`), and whatever a future
   browser or plug-in lets through. But a browser marks every cross-origin request other than
   a GET or HEAD with `Origin` (the page's origin, or `null` from a sandboxed frame, a `file:`
   page or a redirect): a request whose `Origin` is not the server's own (the `Host` it was
   sent to, default ports made explicit; the scheme may be http or https, for a TLS proxy in
   front) is 403, whatever its method or body. Browsers also send `Sec-Fetch-Site`: anything
   but `same-origin` or `none` (typed in the address bar) is 403 too, which covers the
   requests where a browser leaves `Origin` out (a cross-site GET).
3. **DNS rebinding.** A page at `http://attacker.example:8080` makes its name resolve to
   127.0.0.1: the browser then sends same-origin requests to this server, with an `Origin`
   that matches `Host`, and reads the answers (the journal, every ticket). Only
   `Host` gives it away: it names the attacker. A request whose `Host` name is not one of the
   server's own is 403, whatever the method:
   - the configured `host` (unless a wildcard such as 0.0.0.0);
   - the address the connection arrived on (the server side of the socket), an IP literal;
   - `localhost`, `127.0.0.1` and `::1` when the server listens on loopback or on every
     address (a wildcard: `docker run -p 8080:8080` reaches it as `localhost:8080`);
   - the names in `control_allowed_hosts` (a compose service name, a name behind a proxy);
     `*` there turns the `Host` check off (the `Origin` check stays).
   The port of `Host` is not checked: a published or proxied port differs from the one the
   server listens on, and a rebinding attack is told apart by the name, not by the port.

Non-browser clients (httpx, curl, the `uforge-mock ctl` CLI, the pytest fixture's
`MockServer`) send the `Host` they connect to, no `Origin`, and JSON or no body: they pass.
"""

import ipaddress
from collections.abc import Iterable

from starlette.requests import Request

from uforge_mock.settings import Settings
from uforge_mock.wire.errors import CrossSiteRefused, UnsupportedMediaType

JSON_MEDIA_TYPES = ("application/json",)
YAML_MEDIA_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
# What a browser sends as Sec-Fetch-Site for a request the user made, or a page of this server.
SAME_ORIGIN_FETCHES = frozenset({"same-origin", "none"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def refuse_cross_site(request: Request, settings: Settings) -> None:
    """Raise `CrossSiteRefused` unless `Host` names this server and `Origin` and
    `Sec-Fetch-Site` (when sent) say the request comes from this server's own pages."""
    name, port = refuse_foreign_host(request, settings)
    for origin in request.headers.getlist("origin"):
        if not _is_own_origin(origin, name, port):
            raise CrossSiteRefused.origin(origin)
    for site in request.headers.getlist("sec-fetch-site"):
        if site.strip().lower() not in SAME_ORIGIN_FETCHES:
            raise CrossSiteRefused.fetch_site(site)


def refuse_foreign_host(request: Request, settings: Settings) -> tuple[str, int | None]:
    """Raise `CrossSiteRefused` unless `Host` names this server (3. above); its name and
    port. (The dashboard's page checks only this: a link from elsewhere may open it.)"""
    hosts = request.headers.getlist("host")
    if len(hosts) != 1:
        raise CrossSiteRefused.host(", ".join(hosts))
    host = hosts[0].strip().lower()
    name, port = split_host(host)
    if name is None or not _is_own_name(name, settings, request.scope.get("server")):
        raise CrossSiteRefused.host(host)
    return name, port


def require_media_type(request: Request, accepted: tuple[str, ...]) -> None:
    """Raise `UnsupportedMediaType` unless the body's `Content-Type` is one of `accepted`,
    or there is neither a body nor a `Content-Type`."""
    given = request.headers.getlist("content-type")
    if not given:
        if _has_body(request):
            raise UnsupportedMediaType.accepting("", *accepted)
        return
    media_type = given[0].split(";", 1)[0].strip().lower()
    if len(given) > 1 or media_type not in accepted:
        raise UnsupportedMediaType.accepting(", ".join(given), *accepted)


def split_host(host: str) -> tuple[str | None, int | None]:
    """`name[:port]` or `[v6]:port` as (name, port); name None when it is not a host."""
    if host.startswith("["):
        name, bracket, rest = host[1:].partition("]")
        if not bracket:
            return None, None
    else:
        name, colon, rest = host.partition(":")
        rest = colon + rest
    if not rest:
        return name or None, None
    if not rest.startswith(":") or not rest[1:].isdigit() or len(rest) > 6:
        return None, None
    return name or None, int(rest[1:])


def allowed_host_names(settings: Settings) -> frozenset[str]:
    """The names of `control_allowed_hosts`, lower case, IPv6 brackets removed."""
    names = (part.strip().lower() for part in settings.control_allowed_hosts.split(","))
    return frozenset(name.removeprefix("[").removesuffix("]") for name in names if name)


def _is_own_name(name: str, settings: Settings, server: Iterable[object] | None) -> bool:
    allowed = allowed_host_names(settings)
    if "*" in allowed or name in allowed:
        return True
    configured = settings.host.strip().lower().removeprefix("[").removesuffix("]")
    local = str(next(iter(server), "")).lower() if server else ""
    if name in (configured, local) and name not in WILDCARD_HOSTS:
        return True
    listens_on_loopback = (
        configured in WILDCARD_HOSTS or _is_loopback(configured) or _is_loopback(local)
    )
    return listens_on_loopback and name in LOOPBACK_NAMES


def _is_loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _is_own_origin(origin: str, host_name: str, host_port: int | None) -> bool:
    scheme, separator, rest = origin.strip().lower().partition("://")
    if not separator or scheme not in DEFAULT_PORTS:
        return False  # `null`, or not a web origin
    name, port = split_host(rest)
    default = DEFAULT_PORTS[scheme]
    return name == host_name and (port or default) == (host_port or default)


def _has_body(request: Request) -> bool:
    if "transfer-encoding" in request.headers:
        return True
    length = request.headers.get("content-length")
    return length is not None and length.strip() != "0"
