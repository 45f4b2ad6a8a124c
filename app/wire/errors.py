"""The vendor errors uforge-mock answers with, each rendered as a `uforgeError` by one handler.

    UForgeException                      (any status; `message_id` stable per kind)
    ├── BadRequest                    400  mock.error.bad_request
    ├── Unauthorized                  401  mock.error.unauthorized
    │   └── ControlUnauthorized       401  mock.error.control.unauthorized
    ├── Forbidden                     403  mock.error.forbidden.user
    │   └── MissingEntitlement        403  mock.error.forbidden.entitlement
    ├── NotFound                      404  mock.error.notfound
    │   ├── MySoftwareNotFound        404  mock.error.notfound.mysoftware
    │   └── ExportNotFound            404  mock.error.notfound.export
    ├── MethodNotAllowed              405  mock.error.method_not_allowed
    ├── NotAcceptable                 406  mock.error.not_acceptable
    ├── ExportNotComplete             409  mock.error.conflict.export_not_complete
    ├── InternalError                 500  mock.error.internal
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


class NotFound(UForgeException):
    status_code = 404
    message_id = "mock.error.notfound"
    default_message = "Resource not found"


class MySoftwareNotFound(NotFound):
    message_id = "mock.error.notfound.mysoftware"

    @classmethod
    def for_id(cls, msid: str, uid: str) -> "MySoftwareNotFound":
        return cls(f"Software component {msid} not found for user {uid}", msid, uid)


class ExportNotFound(NotFound):
    message_id = "mock.error.notfound.export"

    @classmethod
    def for_id(cls, eid: str, msid: str) -> "ExportNotFound":
        return cls(f"Export {eid} not found for software component {msid}", eid, msid)


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
