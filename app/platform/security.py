"""Who is calling: HTTP Basic credentials checked against the stored argon2 hash, a memory of
checked credentials so that polling clients do not pay for a hash each time, supervisor logins
(`ADMIN\\USER` with ADMIN's password: the request acts as USER), API-key signatures, and the
authorization rules (own paths only unless admin; entitlements).
"""

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote_plus

import anyio

from uforge_mock.store.passwords import PasswordHasher
from uforge_mock.store.queries import UserRecord
from uforge_mock.wire.errors import (
    AuthenticationBusy,
    Forbidden,
    MissingEntitlement,
    Unauthorized,
)

# A longer Authorization header is refused before any decoding: no real credential is that big.
MAX_AUTHORIZATION_LENGTH = 4096

# An unknown user's check waits as long as a real one once this many real verifications were
# timed, drawing from the last CALIBRATION_SIZE of them: a hash's time changes with the
# machine's load, and a short window follows it (a long one would lag behind it). When no
# verification was timed for CALIBRATION_REFRESH seconds (a flood of unknown users alone), one
# unknown user's check at a time hashes the dummy again: at most about one hash a second, so
# that the timings stay those of now.
CALIBRATION_MIN = 4
CALIBRATION_SIZE = 8
CALIBRATION_REFRESH = 1.0

ClientGone = Callable[[], Awaitable[None]]
"""Completes when the client of a request has gone (disconnected); never while it is there."""


# What a user needs to log in as another: `SUPERVISOR\TARGET` with the supervisor's password.
SUPERVISOR_ENTITLEMENT = "supervisor_access"
SUPERVISOR_SEPARATOR = "\\"


@dataclass(frozen=True, slots=True)
class Credentials:
    """A Basic login: `login` is the account whose `password` it is; for a supervisor login
    (`login\\target`), `target` is the user the request acts as (None for a plain login)."""

    login: str
    password: str
    target: str | None = None


def parse_basic(header: str | None) -> Credentials:
    """The login and password of a `Basic` Authorization header, or Unauthorized. A login with
    a backslash is a supervisor login, `SUPERVISOR\\TARGET`: anything else with a backslash in
    it (`\\USER`, `ADMIN\\`, two backslashes) is Unauthorized."""
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
    if SUPERVISOR_SEPARATOR not in login:
        return Credentials(login, password)
    supervisor, _, target = login.partition(SUPERVISOR_SEPARATOR)
    if not supervisor or not target or SUPERVISOR_SEPARATOR in target:
        raise Unauthorized()
    return Credentials(supervisor, password, target)


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


@dataclass(eq=False, slots=True)
class _Turn:
    """A check waiting for its turn at the hashing slots."""

    login: str
    known: bool  # a real user's check, which always hashes
    # Set when its turn comes: True with a slot to hash in, False for an unknown user's check
    # once calibrated (whether it is, is decided then: a flood's backlog of unknown users
    # queued while the server was cold takes no hashing either once it is not).
    granted: "asyncio.Future[bool]" = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class CredentialVerifier:
    """Decides whether a password matches a user's stored hash, remembering the answers.

    The memory is keyed on (login, target, password, stored hash), through a MAC with a
    per-process key so that no password is kept in clear: a changed password changes the stored
    hash, so the old answers no longer apply, and an accepted key can only ever be that exact
    password for that exact login as sent: a supervisor login's answers (`ADMIN\\USER`) are
    never a plain login's (`ADMIN`), nor another target's. The bounds below count by `login`,
    the account whose password is checked: a supervisor's checks count as its own whatever
    the target, so varying the target never buys more guesses at its password.
    Both accepted and rejected pairs are remembered, so a flood of one wrong password costs one
    hash, and identical checks in flight at the same time share one result.

    A check of credentials not yet remembered is bounded, so that a flood of them cannot starve
    a new login (a first login, any login after a restart or a password change):

    - at most `max_concurrent` hashes at once, in worker threads (argon2 takes 64 MiB each);
    - at most `max_per_login` checks per login, waiting or running, and at most `max_waiting`
      real users' checks waiting in all: past either, `AuthenticationBusy` (503,
      `Retry-After`) at once, for any check. A flood of one login's wrong passwords holds
      `max_per_login` places, never the whole queue;
    - the waiting checks are served round-robin across logins, not first-come: a new login
      waits for at most one check of each other login waiting, not for a flood's backlog;
    - a check waiting for its turn whose client has gone (`client_gone` completed) is dropped,
      never hashed: a flood of clients that give up leaves no backlog behind it;
    - an unknown user's check takes no hashing slot once the verifier is calibrated: it waits
      for its turn like any check (same bounds, same queue, same 503s), then, instead of a hash
      against a dummy, sleeps a duration drawn from the last real verifications. An
      unknown-user flood costs no hashing, and an unknown user still takes what a wrong
      password takes. Until `CALIBRATION_MIN` real checks were timed, it hashes (the dummy).

    What the last point leaves: an unknown user's check does not hold a slot, so while the
    slots are saturated, one more wrong password for a real user delays the next checks by one
    hash and an unknown user does not. Telling them apart so takes saturating the slots and
    timing one's own checks around the probe; making unknown users hold a slot instead would
    let a flood of random logins starve every new login, which is the attack this stops.
    """

    def __init__(
        self,
        hasher: PasswordHasher,
        *,
        max_concurrent: int,
        cache_size: int,
        max_per_login: int,
        max_waiting: int,
        retry_after: int,
    ) -> None:
        self._hasher = hasher
        # Our own bound on the thread pool too: hashes never wait behind the store's reads.
        self._limiter = anyio.CapacityLimiter(max_concurrent)
        self._key = os.urandom(32)
        self._accepted = _BoundedMemory(cache_size)
        self._rejected = _BoundedMemory(cache_size)
        self._in_flight: dict[bytes, asyncio.Future[bool]] = {}
        self._max_per_login = max_per_login
        self._max_waiting = max_waiting
        self._retry_after = retry_after
        self._free_slots = max_concurrent
        # Checks per login, waiting or running (an entry only while there is one).
        self._per_login: dict[str, int] = {}
        # The waiting checks by login; the first login is served next, then goes last.
        self._turns: OrderedDict[str, deque[_Turn]] = OrderedDict()
        # Real users' checks among them, what `max_waiting` bounds. Unknown users' wait too,
        # for their turn but for no hashing: counted, a flood of them mixed with one of wrong
        # passwords would hold the whole queue and turn every new login away. The bound is
        # applied alike to every check, so a 503 still does not tell which kind one is.
        self._waiting = 0
        # Seconds that the last verifications took, real users' and the dummy's alike (both
        # hashes are made at the cost in force: a check takes the same either way), when the
        # last was timed, and whether an unknown user's check is hashing to renew them.
        self._check_times: deque[float] = deque(maxlen=CALIBRATION_SIZE)
        self._last_timed = 0.0
        self._renewing = False
        # Observable counters (tests, diagnostics): hashes checked, and most at once; checks
        # refused busy, and dropped because their client had gone.
        self.verifications = 0
        self.peak_concurrency = 0
        self.refused = 0
        self.dropped = 0
        self._running = 0

    async def verify(
        self,
        credentials: Credentials,
        stored_hash: str | None,
        *,
        client_gone: ClientGone | None = None,
    ) -> bool:
        """True only when `credentials.password` matches `stored_hash` (None: unknown user).

        `AuthenticationBusy` when the check would pass the bounds, or when its client has gone
        (`client_gone` completed) before its turn came."""
        key = self._memory_key(credentials, stored_hash)
        if key in self._accepted:
            return True
        if key in self._rejected:
            return False
        pending = self._in_flight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        return await self._check(key, credentials, stored_hash, client_gone)

    def forget(self) -> None:
        """Drop every remembered answer (the store was reset)."""
        self._accepted.clear()
        self._rejected.clear()

    # ------------------------------------------------------------ credentials not remembered

    async def _check(
        self,
        key: bytes,
        credentials: Credentials,
        stored_hash: str | None,
        client_gone: ClientGone | None,
    ) -> bool:
        login = credentials.login
        # Decided before anything else and alike for every login, known or not: a 503 must
        # not tell an unknown user from a real one either.
        held = self._per_login.get(login, 0)
        must_wait = not self._free_slots or bool(self._turns)
        if held >= self._max_per_login or (must_wait and self._waiting >= self._max_waiting):
            self.refused += 1
            raise AuthenticationBusy(retry_after=self._retry_after)
        self._per_login[login] = held + 1
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            matched = await self._checked(login, credentials.password, stored_hash, client_gone)
            (self._accepted if matched else self._rejected).add(key)
            future.set_result(matched)
            return matched
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # marks it retrieved when nobody else waits on it
            raise
        finally:
            del self._in_flight[key]
            remaining = self._per_login[login] - 1
            if remaining:
                self._per_login[login] = remaining
            else:
                del self._per_login[login]

    async def _checked(
        self, login: str, password: str, stored_hash: str | None, client_gone: ClientGone | None
    ) -> bool:
        if not self._free_slots or self._turns:
            hashes = await self._wait_turn(_Turn(login, stored_hash is not None), client_gone)
        else:
            hashes = self._takes_slot(stored_hash is not None)
        if not hashes:
            # An unknown user, once calibrated: the time of a real check, without its CPU.
            await asyncio.sleep(secrets.choice(self._check_times))  # a draw: the spread too
            return False
        try:
            return await self._verify_in_thread(password, stored_hash)
        finally:
            if stored_hash is None:
                self._renewing = False
            self._release_slot()

    async def _wait_turn(self, turn: _Turn, client_gone: ClientGone | None) -> bool:
        """Wait until `_grant` gives `turn` its go; whether it has a slot to hash in. Raises
        `AuthenticationBusy` when the client goes first: the check is dropped unhashed."""
        self._turns.setdefault(turn.login, deque()).append(turn)
        self._waiting += turn.known
        watch = asyncio.ensure_future(client_gone()) if client_gone is not None else None
        try:
            if watch is not None:
                await asyncio.wait((turn.granted, watch), return_when=asyncio.FIRST_COMPLETED)
                if watch.done() and not watch.cancelled() and watch.exception() is None:
                    self.dropped += 1
                    raise AuthenticationBusy(retry_after=self._retry_after)
            return await turn.granted  # (when the watch itself failed, without it)
        except BaseException:
            if not turn.granted.done():
                turn.granted.cancel()
                self._withdraw(turn)
            elif turn.granted.result():
                self._release_slot()  # granted in the meantime: the slot goes to the next
            raise
        finally:
            if watch is not None and not watch.done():
                watch.cancel()

    def _withdraw(self, turn: _Turn) -> None:
        turns = self._turns[turn.login]
        turns.remove(turn)
        if not turns:
            del self._turns[turn.login]
        self._waiting -= turn.known

    def _release_slot(self) -> None:
        self._free_slots += 1
        self._grant()

    def _grant(self) -> None:
        """Give the free slots to the waiting checks, one login after the other. An unknown
        user's (calibrated) check passes without taking the slot, as soon as a real one would
        have had it, and the slot goes on to the next."""
        while self._free_slots and self._turns:
            login, turns = next(iter(self._turns.items()))
            turn = turns.popleft()
            if turns:
                self._turns.move_to_end(login)
            else:
                del self._turns[login]
            self._waiting -= turn.known
            turn.granted.set_result(self._takes_slot(turn.known))

    def _takes_slot(self, known: bool) -> bool:
        """Whether a check given its go now hashes, taking a free slot if so: a real user's
        always; an unknown user's while there are too few timings, or to renew them."""
        if known or len(self._check_times) < CALIBRATION_MIN:
            pass
        elif not self._renewing and time.monotonic() - self._last_timed > CALIBRATION_REFRESH:
            self._renewing = True
        else:
            return False
        self._free_slots -= 1
        return True

    async def _verify_in_thread(self, password: str, stored_hash: str | None) -> bool:
        def check() -> bool:
            self._running += 1  # guarded by the slots' bound, read for diagnostics only
            self.peak_concurrency = max(self.peak_concurrency, self._running)
            try:
                # The dummy hash is made by the first check of any kind (its making costs a
                # hash, once per process): were it made by the first unknown user's, that
                # check would take twice a wrong password's. Timed apart from what follows.
                dummy = self._hasher.dummy_hash()
                against = dummy if stored_hash is None else stored_hash
                started = time.perf_counter()
                matched = self._hasher.verify(password, against)
                took = time.perf_counter() - started
                self._check_times.append(took)
                self._last_timed = time.monotonic()
                return matched and stored_hash is not None
            finally:
                self._running -= 1

        self.verifications += 1

        return await anyio.to_thread.run_sync(check, limiter=self._limiter)

    def _memory_key(self, credentials: Credentials, stored_hash: str | None) -> bytes:
        # Each field behind its length, so that no two credentials make one message (a login
        # or a target may hold anything, NULs included); a plain login's target is empty, a
        # supervisor login's never is. The stored hash, last, needs no length.
        login, target, password = credentials.login, credentials.target or "", credentials.password
        hashed = stored_hash or ""
        message = f"{len(login)}:{login}{len(target)}:{target}{len(password)}:{password}{hashed}"
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
    client_gone: ClientGone | None = None,
) -> UserRecord:
    """The user whose Basic credentials these are, or Unauthorized (same answer for an unknown
    user and a wrong password); `AuthenticationBusy` when their check cannot be taken now.

    For a supervisor login (`ADMIN\\USER`, ADMIN's password), the user the request acts as:
    USER's record, so `{uid}` must be USER and USER's entitlements apply, exactly as if USER
    had logged in. Only the supervisor is looked up before its password is checked, the same
    way as any login: an unknown target or supervisor takes what a wrong password takes."""
    credentials = parse_basic(header)
    user = await load_user(credentials.login)
    matched = await verifier.verify(
        credentials, user.password_hash if user else None, client_gone=client_gone
    )
    if user is None or not matched:
        raise Unauthorized()
    if credentials.target is None:
        return user
    return await _supervised(user, credentials.target, load_user=load_user)


async def _supervised(
    supervisor: UserRecord,
    target: str,
    *,
    load_user: Callable[[str], Awaitable[UserRecord | None]],
) -> UserRecord:
    """The user `supervisor` (its password checked) logs in as; Unauthorized without the
    supervisor entitlement or when `target` is no user.

    Both are 401, never 403 (ours: no public source says): both are checked while logging in,
    and a refused login is a 401; a 403 answers an established identity refused a resource,
    and here no identity was established. One body for both, so that a user without the
    entitlement who knows their own password cannot list the users; nor can its timing, since
    the target is looked up only once the entitlement is there."""
    if SUPERVISOR_ENTITLEMENT not in supervisor.entitlements:
        raise Unauthorized()
    user = await load_user(target)
    if user is None:
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
