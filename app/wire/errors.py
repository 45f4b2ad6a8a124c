"""The vendor errors uforge-mock answers with, each rendered as a `uforgeError` by one handler.

    UForgeException                      (any status; `message_id` stable per kind)
    ├── BadRequest                    400  mock.error.bad_request
    ├── Unauthorized                  401  mock.error.unauthorized
    │   └── ControlUnauthorized       401  mock.error.control.unauthorized
    ├── Forbidden                     403  mock.error.forbidden.user
    │   ├── MissingEntitlement        403  mock.error.forbidden.entitlement
    │   └── CrossSiteRefused          403  mock.error.forbidden.cross_site   (the control API)
    ├── NotFound                      404  mock.error.notfound
    │   ├── MySoftwareNotFound        404  mock.error.notfound.mysoftware
    │   ├── UserNotFound              404  mock.error.notfound.user
    │   ├── OrgNotFound               404  mock.error.notfound.org
    │   ├── BundleImportNotFound      404  mock.error.notfound.bundleimport
    │   └── ExportNotFound            404  mock.error.notfound.export
    ├── MethodNotAllowed              405  mock.error.method_not_allowed
    ├── NotAcceptable                 406  mock.error.not_acceptable
    ├── ExportNotComplete             409  mock.error.conflict.export_not_complete
    ├── Conflict                      409  mock.error.conflict   (an archive uploaded twice)
    ├── PayloadTooLarge               413  mock.error.limit.body
    ├── UnsupportedMediaType          415  mock.error.unsupported_media_type
    ├── RequestHeadersTooLarge        431  mock.error.limit.headers
    ├── InternalError                 500  mock.error.internal
    ├── ServiceUnavailable            503  mock.error.unavailable   (with Retry-After)
    │   ├── AuthenticationBusy        503  mock.error.unavailable.authentication
    │   ├── StoreBusy                 503  mock.error.unavailable.store
    │   ├── UploadsBusy               503  mock.error.unavailable.uploads
    │   └── TooManyConnections        503  mock.error.unavailable.connections
    └── InjectedFault                 any  mock.error.injected   (the control API's faults)

Raising one anywhere in a request ends it with that status and a `uforgeError` body in the
negotiated format (XML when nothing acceptable).
"""

from typing import ClassVar


class UForgeException(Exception):
    """Base of the vendor errors: class-level status and message id, per-raise text."""

    status_code: int = 500
    message_id: ClassVar[str] = "mock.error.internal"
    default_message: ClassVar[str] = "Internal error"

    def __init__(self, message: str | None = None, *parameters: str) -> None:
        self.message = message or self.default_message
        self.parameters = [str(parameter) for parameter in parameters]
        super().__init__(self.message)

    def headers(self) -> dict[str, str]:
        """Extra response headers this error carries."""
        return {}


class BadRequest(UForgeException):
    status_code = 400
    message_id = "mock.error.bad_request"
    default_message = "Bad request"


class Unauthorized(UForgeException):
    status_code = 401
    message_id = "mock.error.unauthorized"
    default_message = "Authentication failed"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Basic realm="UForge"'}


class ControlUnauthorized(Unauthorized):
    """The control API's own 401: it takes a bearer token, never UForge credentials."""

    message_id = "mock.error.control.unauthorized"
    default_message = "The control API needs its bearer token"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="uforge-mock control"'}


class Forbidden(UForgeException):
    status_code = 403
    message_id = "mock.error.forbidden.user"
    default_message = "Access denied"

    @classmethod
    def for_user(cls, login: str, uid: str) -> "Forbidden":
        return cls(f"User {login} may not act on behalf of user {uid}", login, uid)


class MissingEntitlement(Forbidden):
    message_id = "mock.error.forbidden.entitlement"

    @classmethod
    def named(cls, login: str, entitlement: str) -> "MissingEntitlement":
        return cls(f"User {login} does not have the entitlement {entitlement}", login, entitlement)


class CrossSiteRefused(Forbidden):
    """A control API request a web page could have made on a browser's behalf: a `Host` that
    is not the server's own name (DNS rebinding), or an `Origin` (or `Sec-Fetch-Site`) of
    another site (`uforge_mock.control.guard` says why)."""

    message_id = "mock.error.forbidden.cross_site"
    default_message = "The control API answers only requests made to it directly"

    @classmethod
    def host(cls, host: str) -> "CrossSiteRefused":
        return cls(
            f"Host {host or '(none)'} is not one of this server's names "
            "(UFORGE_MOCK_CONTROL_ALLOWED_HOSTS adds more)",
            host,
        )

    @classmethod
    def origin(cls, origin: str) -> "CrossSiteRefused":
        return cls(f"Origin {origin} is not this server's own: cross-site request refused", origin)

    @classmethod
    def fetch_site(cls, site: str) -> "CrossSiteRefused":
        return cls(f"Sec-Fetch-Site {site}: cross-site request refused", site)


class NotFound(UForgeException):
    status_code = 404
    message_id = "mock.error.notfound"
    default_message = "Resource not found"


class MySoftwareNotFound(NotFound):
    message_id = "mock.error.notfound.mysoftware"

    @classmethod
    def for_id(cls, msid: str, uid: str) -> "MySoftwareNotFound":
        return cls(f"Software component {msid} not found for user {uid}", msid, uid)


class UserNotFound(NotFound):
    message_id = "mock.error.notfound.user"


class OrgNotFound(NotFound):
    message_id = "mock.error.notfound.org"


class BundleImportNotFound(NotFound):
    message_id = "mock.error.notfound.bundleimport"

    @classmethod
    def for_id(cls, sbid: str, uid: str) -> "BundleImportNotFound":
        return cls(f"No bundle import {sbid!r} for user {uid!r}", sbid, uid)


class ApplianceImportNotFound(NotFound):
    message_id = "mock.error.notfound.applianceimport"

    @classmethod
    def for_id(cls, iid: str, uid: str) -> "ApplianceImportNotFound":
        return cls(f"No appliance import {iid!r} for user {uid!r}", iid, uid)


class ExportNotFound(NotFound):
    message_id = "mock.error.notfound.export"

    @classmethod
    def for_id(cls, eid: str, msid: str) -> "ExportNotFound":
        return cls(f"Export {eid} not found for software component {msid}", eid, msid)


class ApplianceNotFound(NotFound):
    message_id = "mock.error.notfound.appliance"

    @classmethod
    def for_id(cls, aid: str, uid: str) -> "ApplianceNotFound":
        return cls(f"Appliance template {aid} not found for user {uid}", aid, uid)


class ApplianceExportNotFound(NotFound):
    message_id = "mock.error.notfound.applianceexport"

    @classmethod
    def for_id(cls, eid: str, aid: str) -> "ApplianceExportNotFound":
        return cls(f"Export {eid} not found for appliance template {aid}", eid, aid)


class MethodNotAllowed(UForgeException):
    status_code = 405
    message_id = "mock.error.method_not_allowed"
    default_message = "Method not allowed"

    def __init__(self, method: str, allowed: str | None = None) -> None:
        super().__init__(f"Method {method} is not allowed on this resource", method)
        self.allowed = allowed

    def headers(self) -> dict[str, str]:
        return {"Allow": self.allowed} if self.allowed else {}


class NotAcceptable(UForgeException):
    status_code = 406
    message_id = "mock.error.not_acceptable"
    default_message = "None of the acceptable media types can be produced"

    @classmethod
    def offering(cls, *offers: str) -> "NotAcceptable":
        return cls(
            "None of the acceptable media types can be produced; available: " + ", ".join(offers),
            *offers,
        )


class ExportNotComplete(UForgeException):
    status_code = 409
    message_id = "mock.error.conflict.export_not_complete"
    default_message = "The export is not complete"

    @classmethod
    def for_id(cls, eid: int) -> "ExportNotComplete":
        return cls(f"Export {eid} is not complete: nothing to download yet", str(eid))


class Conflict(UForgeException):
    status_code = 409
    message_id = "mock.error.conflict"
    default_message = "The request conflicts with the object's state"

    @classmethod
    def already_uploaded(cls, db_id: int, kind: str = "Bundle import") -> "Conflict":
        return cls(f"{kind} {db_id} has its archive already", str(db_id))


class ExportEnded(Conflict):
    """A cancel of an export that has already ended (ours: no source says what the platform
    answers; the job is over, so there is nothing left to cancel)."""

    message_id = "mock.error.conflict.export_ended"

    @classmethod
    def for_id(cls, eid: int, outcome: str) -> "ExportEnded":
        return cls(f"Export {eid} has already ended ({outcome}): it cannot be cancelled", str(eid))


class PayloadTooLarge(UForgeException):
    """A request body larger than the route takes (`limit` bytes)."""

    status_code = 413
    message_id = "mock.error.limit.body"
    default_message = "The request body is too large"

    @classmethod
    def over(cls, limit: int) -> "PayloadTooLarge":
        return cls(f"The request body is larger than {limit} bytes", str(limit))


class UnsupportedMediaType(UForgeException):
    status_code = 415
    message_id = "mock.error.unsupported_media_type"
    default_message = "The request body's media type is not accepted here"

    @classmethod
    def accepting(cls, given: str, *accepted: str) -> "UnsupportedMediaType":
        return cls(
            f"Content-Type {given or '(none)'} is not accepted here; send one of: "
            + ", ".join(accepted),
            given,
            *accepted,
        )


class RequestHeadersTooLarge(UForgeException):
    """Request headers past the server's limit (`limit` bytes in all)."""

    status_code = 431
    message_id = "mock.error.limit.headers"
    default_message = "The request headers are too large"

    @classmethod
    def over(cls, limit: int) -> "RequestHeadersTooLarge":
        return cls(f"The request headers are larger than {limit} bytes", str(limit))


class ServiceUnavailable(UForgeException):
    """The server cannot take the request now; the client may try again after
    `retry_after` seconds (the `Retry-After` header)."""

    status_code = 503
    message_id = "mock.error.unavailable"
    default_message = "The service is busy: try again later"

    def __init__(self, message: str | None = None, *parameters: str, retry_after: int = 1) -> None:
        super().__init__(message, *parameters)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class AuthenticationBusy(ServiceUnavailable):
    message_id = "mock.error.unavailable.authentication"
    default_message = "Too many credential checks at once: try again after Retry-After"


class StoreBusy(ServiceUnavailable):
    message_id = "mock.error.unavailable.store"
    default_message = (
        "The store is busy (a seed or a reset is running): try again after Retry-After"
    )


class StoreUnreachable(ServiceUnavailable):
    message_id = "mock.error.unavailable.store_unreachable"
    default_message = "The store cannot be reached: try again after Retry-After"


class UploadsBusy(ServiceUnavailable):
    message_id = "mock.error.unavailable.uploads"
    default_message = "Too many archives are being uploaded: try again later"


class TooManyConnections(ServiceUnavailable):
    message_id = "mock.error.unavailable.connections"
    default_message = "Too many connections: try again after Retry-After"


class InternalError(UForgeException):
    status_code = 500
    message_id = "mock.error.internal"
    default_message = "Internal error"


class InjectedFault(UForgeException):
    """An error status the control API was told to answer with."""

    message_id = "mock.error.injected"

    def __init__(self, status_code: int) -> None:
        super().__init__(f"Fault injected by the uforge-mock control API: {status_code}")
        self.status_code = status_code
