"""Who is calling: HTTP Basic credentials checked against the stored argon2 hash, a memory of
checked credentials so that polling clients do not pay for a hash each time, API-key
signatures, and the authorization rules (own paths only unless admin; entitlements).
"""

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus

import anyio

from uforge_mock.store.passwords import PasswordHasher
from uforge_mock.store.queries import UserRecord
from uforge_mock.wire.errors import Forbidden, MissingEntitlement, Unauthorized

# A longer Authorization header is refused before any decoding: no real credential is that big.
MAX_AUTHORIZATION_LENGTH = 4096


@dataclass(frozen=True, slots=True)
class Credentials:
    login: str
    password: str


def parse_basic(header: str | None) -> Credentials:
    """The login and password of a `Basic` Authorization header, or Unauthorized."""
    if not header or len(header) > MAX_AUTHORIZATION_LENGTH:
        raise Unauthorized()
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        raise Unauthorized()
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Unauthorized() from None
    login, colon, password = decoded.partition(":")
    if not colon or not login:
        raise Unauthorized()
    return Credentials(login, password)


class _BoundedMemory:
    """A set of keys that forgets its oldest members beyond `size`."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._keys: OrderedDict[bytes, None] = OrderedDict()

    def __contains__(self, key: bytes) -> bool:
        if key in self._keys:
            self._keys.move_to_end(key)
            return True
        return False

    def add(self, key: bytes) -> None:
        self._keys[key] = None
        self._keys.move_to_end(key)
        while len(self._keys) > self._size:
            self._keys.popitem(last=False)

    def clear(self) -> None:
        self._keys.clear()


class CredentialVerifier:
    """Decides whether a password matches a user's stored hash, remembering the answers.

    The memory is keyed on (login, password, stored hash), through a MAC with a per-process
    key so that no password is kept in clear: a changed password changes the stored hash, so
    the old answers no longer apply, and an accepted key can only ever be that exact password.
    Both accepted and rejected pairs are remembered, so a flood of one wrong password costs one
    hash. Verifications run in worker threads, at most `max_concurrent` at once (argon2 takes
    64 MiB each), and identical ones in flight at the same time share one result.
    """

    def __init__(self, hasher: PasswordHasher, *, max_concurrent: int, cache_size: int) -> None:
        self._hasher = hasher
        self._limiter = anyio.CapacityLimiter(max_concurrent)
        self._key = os.urandom(32)
        self._accepted = _BoundedMemory(cache_size)
        self._rejected = _BoundedMemory(cache_size)
        self._in_flight: dict[bytes, asyncio.Future[bool]] = {}
        # Observable counters (tests, diagnostics): hashes checked, and most at once.
        self.verifications = 0
        self.peak_concurrency = 0
        self._running = 0

    async def verify(self, credentials: Credentials, stored_hash: str | None) -> bool:
        """True only when `credentials.password` matches `stored_hash` (None: unknown user)."""
        key = self._memory_key(credentials, stored_hash)
        if key in self._accepted:
            return True
        if key in self._rejected:
            return False
        pending = self._in_flight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            matched = await self._verify_in_thread(credentials.password, stored_hash)
            (self._accepted if matched else self._rejected).add(key)
            future.set_result(matched)
            return matched
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # marks it retrieved when nobody else waits on it
            raise
        finally:
            del self._in_flight[key]

    def forget(self) -> None:
        """Drop every remembered answer (the store was reset)."""
        self._accepted.clear()
        self._rejected.clear()

    async def _verify_in_thread(self, password: str, stored_hash: str | None) -> bool:
        def check() -> bool:
            self._running += 1  # guarded by the limiter's bound, read for diagnostics only
            self.peak_concurrency = max(self.peak_concurrency, self._running)
            try:
                if stored_hash is None:
                    self._hasher.verify(password, self._hasher.dummy_hash())
                    return False
                return self._hasher.verify(password, stored_hash)
            finally:
                self._running -= 1

        self.verifications += 1

        return await anyio.to_thread.run_sync(check, limiter=self._limiter)

    def _memory_key(self, credentials: Credentials, stored_hash: str | None) -> bytes:
        message = "\x00".join((credentials.login, credentials.password, stored_hash or ""))
        # Keyed BLAKE2b is a MAC in one C call; the `hmac` module costs several Python calls,
        # paid on every request.
        return hashlib.blake2b(
            message.encode("utf-8", "surrogatepass"), key=self._key, digest_size=32
        ).digest()


async def authenticate_basic(
    header: str | None,
    *,
    load_user: Callable[[str], Awaitable[UserRecord | None]],
    verifier: CredentialVerifier,
) -> UserRecord:
    """The user whose Basic credentials these are, or Unauthorized (same answer for an unknown
    user and a wrong password)."""
    credentials = parse_basic(header)
    user = await load_user(credentials.login)
    matched = await verifier.verify(credentials, user.password_hash if user else None)
    if user is None or not matched:
        raise Unauthorized()
    return user


def authorize(user: UserRecord, *, uid: str, entitlement: str) -> None:
    """Raise Forbidden unless `user` may act on `uid`'s paths with `entitlement`."""
    if uid != user.login and not user.admin:
        raise Forbidden.for_user(user.login, uid)
    if entitlement not in user.entitlements:
        raise MissingEntitlement.named(user.login, entitlement)


# ---------------------------------------------------------------- API keys


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A request signed the way the official clients sign: `apiKey=PUB` in the query, then
    `&signature=<urlencoded base64 HMAC-SHA1>` last, over the path after the base (without its
    leading slash) and the query exactly as sent."""

    public_key: str
    signature: str
    signed_text: str


SIGNATURE_PARAMETER = "&signature="


def signed_request(
    raw_path: str, raw_query: str, *, prefixes: tuple[str, ...]
) -> SignedRequest | None:
    """The API-key signature of a request; None when it does not use an API key."""
    if not any(name == "apiKey" for name, _ in parse_qsl(raw_query, keep_blank_values=True)):
        return None
    cut = raw_query.rfind(SIGNATURE_PARAMETER)
    encoded_signature = raw_query[cut + len(SIGNATURE_PARAMETER) :] if cut >= 0 else ""
    if cut < 0 or not encoded_signature or "&" in encoded_signature:
        raise Unauthorized("API-key request without a signature as its last parameter")
    signed_query = raw_query[:cut]
    keys = [
        value for name, value in parse_qsl(signed_query, keep_blank_values=True) if name == "apiKey"
    ]
    if len(keys) != 1 or not keys[0]:
        raise Unauthorized()
    path = raw_path
    for prefix in prefixes:
        if path == prefix or path.startswith(prefix + "/"):
            path = path[len(prefix) :]
            break
    # The clients strip one slash; a base URL written with a trailing slash sends two.
    relative = path.lstrip("/")
    return SignedRequest(
        public_key=keys[0],
        signature=unquote_plus(encoded_signature),
        signed_text=f"{relative}?{signed_query}",
    )


def signature_matches(request: SignedRequest, secret_key: str) -> bool:
    digest = hmac.digest(secret_key.encode(), request.signed_text.encode("latin-1"), hashlib.sha1)
    expected = base64.b64encode(digest).decode()
    return hmac.compare_digest(expected.encode(), request.signature.encode("utf-8", "replace"))


async def authenticate_api_key(
    request: SignedRequest,
    *,
    load_key: Callable[[str], Awaitable[tuple[UserRecord, str] | None]],
) -> UserRecord:
    """The owner of a correctly signed request's key; 401 otherwise, 403 without the
    `api_key_access` entitlement."""
    found = await load_key(request.public_key)
    if found is None or not signature_matches(request, found[1]):
        raise Unauthorized()
    user = found[0]
    if API_KEY_ENTITLEMENT not in user.entitlements:
        raise MissingEntitlement.named(user.login, API_KEY_ENTITLEMENT)
    return user


API_KEY_ENTITLEMENT = "api_key_access"
