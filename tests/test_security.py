"""Basic authentication: the credential memory, its invalidation, and its bounds."""

import asyncio
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import GUEST, STATUS_17, basic, seed
from uforge_mock.platform.security import (
    CALIBRATION_MIN,
    CALIBRATION_REFRESH,
    ClientGone,
    Credentials,
    CredentialVerifier,
    authorize,
    parse_basic,
)
from uforge_mock.store.passwords import PasswordHasher
from uforge_mock.store.queries import UserRecord
from uforge_mock.wire.errors import (
    AuthenticationBusy,
    Forbidden,
    MissingEntitlement,
    Unauthorized,
)

FAST = {"memory_kib": 1024, "time_cost": 1}


def verifier(
    *,
    max_concurrent: int = 2,
    cache_size: int = 100,
    max_per_login: int = 100,
    max_waiting: int = 100,
) -> CredentialVerifier:
    return CredentialVerifier(
        PasswordHasher(**FAST),
        max_concurrent=max_concurrent,
        cache_size=cache_size,
        max_per_login=max_per_login,
        max_waiting=max_waiting,
        retry_after=1,
    )


@pytest.fixture(scope="module")
def stored_hash() -> str:
    return PasswordHasher(**FAST).hash("right")


def test_parse_basic_splits_on_the_first_colon() -> None:
    assert parse_basic("Basic Z3Vlc3Q6YTpiOmM=") == Credentials("guest", "a:b:c")


def test_parse_basic_accepts_any_scheme_case() -> None:
    assert parse_basic("bAsIc Z3Vlc3Q6eA==").login == "guest"


def test_remembered_password_is_not_hashed_again(stored_hash: str) -> None:
    checker = verifier()

    async def twice() -> list[bool]:
        return [await checker.verify(Credentials("u", "right"), stored_hash) for _ in range(2)]

    assert asyncio.run(twice()) == [True, True]
    assert checker.verifications == 1


def test_remembered_good_password_never_lets_a_wrong_one_in(stored_hash: str) -> None:
    checker = verifier()

    async def run() -> tuple[bool, bool]:
        good = await checker.verify(Credentials("u", "right"), stored_hash)
        bad = await checker.verify(Credentials("u", "right "), stored_hash)
        return good, bad

    assert asyncio.run(run()) == (True, False)


def test_rejected_pair_is_remembered(stored_hash: str) -> None:
    checker = verifier()

    async def run() -> list[bool]:
        return [await checker.verify(Credentials("u", "wrong"), stored_hash) for _ in range(5)]

    assert asyncio.run(run()) == [False] * 5
    assert checker.verifications == 1


def test_unknown_user_costs_one_verification_like_a_wrong_password(stored_hash: str) -> None:
    checker = verifier()

    async def run() -> tuple[bool, bool]:
        unknown = await checker.verify(Credentials("ghost", "x"), None)
        wrong = await checker.verify(Credentials("u", "x"), stored_hash)
        return unknown, wrong

    assert asyncio.run(run()) == (False, False)
    assert checker.verifications == 2


def test_changed_hash_invalidates_the_memory(stored_hash: str) -> None:
    checker = verifier()
    new_hash = PasswordHasher(**FAST).hash("new")

    async def run() -> tuple[bool, bool, bool]:
        before = await checker.verify(Credentials("u", "right"), stored_hash)
        after = await checker.verify(Credentials("u", "right"), new_hash)
        new = await checker.verify(Credentials("u", "new"), new_hash)
        return before, after, new

    assert asyncio.run(run()) == (True, False, True)


def test_verifications_run_with_bounded_concurrency(stored_hash: str) -> None:
    checker = verifier(max_concurrent=2)

    async def flood() -> list[bool]:
        attempts = [checker.verify(Credentials("u", f"wrong-{n}"), stored_hash) for n in range(12)]
        return await asyncio.gather(*attempts)

    assert asyncio.run(flood()) == [False] * 12
    assert checker.verifications == 12
    assert checker.peak_concurrency <= 2


def test_identical_attempts_in_flight_share_one_verification(stored_hash: str) -> None:
    checker = verifier()

    async def flood() -> list[bool]:
        return await asyncio.gather(
            *[checker.verify(Credentials("u", "right"), stored_hash) for _ in range(20)]
        )

    assert asyncio.run(flood()) == [True] * 20
    assert checker.verifications == 1


def test_memory_is_bounded(stored_hash: str) -> None:
    checker = verifier(cache_size=3)

    async def run() -> None:
        for n in range(5):
            await checker.verify(Credentials("u", f"wrong-{n}"), stored_hash)
        await checker.verify(Credentials("u", "wrong-0"), stored_hash)

    asyncio.run(run())
    assert checker.verifications == 6  # wrong-0 was forgotten and checked again


class CountingHasher(PasswordHasher):
    """The light argon2 cost, counting the hashes made (the dummy's among them)."""

    def __init__(self) -> None:
        super().__init__(**FAST)
        self.made = 0

    def hash(self, password: str) -> str:
        self.made += 1
        return super().hash(password)


def gone_when(event: asyncio.Event) -> ClientGone:
    async def gone() -> None:
        await event.wait()

    return gone


async def settle() -> None:
    """Let every task started so far run until it waits."""
    for _ in range(5):
        await asyncio.sleep(0)


def test_a_login_past_its_bound_is_refused_busy_at_once(stored_hash: str) -> None:
    checker = verifier(max_concurrent=1, max_per_login=2)

    async def run() -> list[bool | BaseException]:
        attempts = [checker.verify(Credentials("u", f"wrong-{n}"), stored_hash) for n in range(3)]
        return await asyncio.gather(*attempts, return_exceptions=True)

    first, second, third = asyncio.run(run())
    assert (first, second) == (False, False)
    assert isinstance(third, AuthenticationBusy)
    assert third.headers() == {"Retry-After": "1"}
    assert checker.verifications == 2


def test_past_the_waiting_bound_a_check_is_refused_busy(stored_hash: str) -> None:
    checker = verifier(max_concurrent=1, max_waiting=1)

    async def run() -> list[bool | BaseException]:
        attempts = [checker.verify(Credentials(f"u{n}", "wrong"), stored_hash) for n in range(3)]
        return await asyncio.gather(*attempts, return_exceptions=True)

    results = asyncio.run(run())
    assert results[:2] == [False, False]  # one hashing, one waiting
    assert isinstance(results[2], AuthenticationBusy)


def test_an_unknown_user_is_refused_like_a_known_one(stored_hash: str) -> None:
    checker = verifier(max_concurrent=1, max_per_login=2)

    async def run() -> list[bool | BaseException]:
        attempts = [checker.verify(Credentials("ghost", f"x-{n}"), None) for n in range(3)]
        return await asyncio.gather(*attempts, return_exceptions=True)

    *checked, refused = asyncio.run(run())
    assert checked == [False, False]
    assert isinstance(refused, AuthenticationBusy)


def test_waiting_checks_are_served_round_robin_across_logins(stored_hash: str) -> None:
    checker = verifier(max_concurrent=1)
    done: list[str] = []

    async def attempt(login: str, password: str) -> None:
        await checker.verify(Credentials(login, password), stored_hash)
        done.append(f"{login}:{password}")

    async def run() -> None:
        tasks = [asyncio.create_task(attempt("flood", f"p{n}")) for n in range(5)]
        await settle()  # the flood's checks are queued first
        tasks.append(asyncio.create_task(attempt("new", "p0")))
        await asyncio.gather(*tasks)

    asyncio.run(run())
    # First-come would have served the new login last; it waits for one of the flood's checks.
    assert done.index("new:p0") == 2


def test_unknown_users_take_no_hashing_once_calibrated(stored_hash: str) -> None:
    checker = verifier()

    async def run() -> float:
        for n in range(CALIBRATION_MIN):
            await checker.verify(Credentials("u", f"wrong-{n}"), stored_hash)
        started = time.perf_counter()
        for n in range(10):
            assert not await checker.verify(Credentials(f"ghost-{n}", "x"), None)
        return (time.perf_counter() - started) / 10

    each = asyncio.run(run())
    assert checker.verifications == CALIBRATION_MIN
    assert each >= min(checker._check_times)  # waits as long as a real check, without its CPU


def test_old_timings_are_renewed_by_one_unknown_users_check_at_a_time(stored_hash: str) -> None:
    checker = verifier()

    async def run() -> None:
        for n in range(CALIBRATION_MIN):
            await checker.verify(Credentials("u", f"wrong-{n}"), stored_hash)
        checker._last_timed -= CALIBRATION_REFRESH + 1  # nothing timed for a while
        await asyncio.gather(*[checker.verify(Credentials(f"g{n}", "x"), None) for n in range(5)])

    asyncio.run(run())
    assert checker.verifications == CALIBRATION_MIN + 1


def test_an_unknown_users_check_waits_its_turn_like_a_real_one(stored_hash: str) -> None:
    checker = verifier(max_concurrent=1)

    async def run() -> list[str]:
        for n in range(CALIBRATION_MIN):
            await checker.verify(Credentials("u", f"wrong-{n}"), stored_hash)
        done: list[str] = []

        async def attempt(login: str, stored: str | None) -> None:
            await checker.verify(Credentials(login, "x"), stored)
            done.append(login)

        busy = asyncio.create_task(attempt("busy", stored_hash))
        await settle()
        ghost = asyncio.create_task(attempt("ghost", None))
        await settle()
        assert done == []  # waits for the slot like a wrong password would
        await asyncio.gather(busy, ghost)
        return done

    assert asyncio.run(run()) == ["busy", "ghost"]


def test_waiting_unknown_users_leave_the_queue_to_real_ones(stored_hash: str) -> None:
    checker = verifier(max_concurrent=1, max_waiting=1)

    async def run() -> list[bool | BaseException]:
        for n in range(CALIBRATION_MIN):
            await checker.verify(Credentials("u", f"wrong-{n}"), stored_hash)
        attempts = [checker.verify(Credentials("busy", "x"), stored_hash)]
        attempts += [checker.verify(Credentials(f"ghost-{n}", "x"), None) for n in range(5)]
        attempts += [
            checker.verify(Credentials("new", "x"), stored_hash),  # waits: the bound's one
            checker.verify(Credentials("late", "x"), stored_hash),  # past the bound
        ]
        return await asyncio.gather(*attempts, return_exceptions=True)

    *answered, late = asyncio.run(run())
    assert answered == [False] * 7
    assert isinstance(late, AuthenticationBusy)


def test_the_first_check_of_any_kind_makes_the_dummy_hash(stored_hash: str) -> None:
    hasher = CountingHasher()
    checker = CredentialVerifier(
        hasher, max_concurrent=2, cache_size=10, max_per_login=2, max_waiting=2, retry_after=1
    )

    async def run() -> None:
        await checker.verify(Credentials("u", "wrong"), stored_hash)
        assert hasher.made == 1  # a wrong password first pays what an unknown user first pays
        await checker.verify(Credentials("ghost", "x"), None)

    asyncio.run(run())
    assert hasher.made == 1


def test_a_waiting_check_whose_client_left_is_never_hashed(stored_hash: str) -> None:
    checker = verifier(max_concurrent=1)

    async def run() -> tuple[bool, BaseException | None, bool]:
        left = asyncio.Event()
        running = asyncio.create_task(checker.verify(Credentials("a", "wrong"), stored_hash))
        await settle()
        abandoned = asyncio.create_task(
            checker.verify(Credentials("b", "wrong"), stored_hash, client_gone=gone_when(left))
        )
        later = asyncio.create_task(checker.verify(Credentials("c", "wrong"), stored_hash))
        await settle()
        left.set()
        await asyncio.wait([abandoned])
        return await running, abandoned.exception(), await later

    first, dropped, last = asyncio.run(run())
    assert (first, last) == (False, False)
    assert isinstance(dropped, AuthenticationBusy)
    assert checker.verifications == 2
    assert checker.dropped == 1


def test_a_check_whose_client_stays_is_answered(stored_hash: str) -> None:
    checker = verifier(max_concurrent=1)

    async def run() -> list[bool]:
        stays = gone_when(asyncio.Event())
        attempts = [
            checker.verify(Credentials("u", f"p{n}"), stored_hash, client_gone=stays)
            for n in range(3)
        ]
        return await asyncio.gather(*attempts)

    assert asyncio.run(run()) == [False] * 3
    assert checker.dropped == 0


def test_password_change_through_a_seed_takes_effect_at_once(
    client: TestClient, app: FastAPI
) -> None:
    assert client.get(STATUS_17, headers=GUEST).status_code == 200
    seed(
        app,
        {"users": [{"login": "guest", "password": "changed", "entitlements": ["software_upload"]}]},
    )
    assert client.get(STATUS_17, headers=GUEST).status_code == 401
    assert client.get(STATUS_17, headers=basic("guest", "changed")).status_code == 200


def test_removed_entitlement_takes_effect_at_once(client: TestClient, app: FastAPI) -> None:
    assert client.get(STATUS_17, headers=GUEST).status_code == 200
    seed(app, {"users": [{"login": "guest", "password": "guest-pw", "entitlements": []}]})
    assert client.get(STATUS_17, headers=GUEST).status_code == 403


USER = UserRecord(id=1, login="guest", password_hash="", admin=False, entitlements=frozenset({"a"}))


def test_authorize_refuses_another_users_path() -> None:
    with pytest.raises(Forbidden) as raised:
        authorize(USER, uid="other", entitlement="a")
    assert not isinstance(raised.value, MissingEntitlement)


def test_authorize_names_the_missing_entitlement() -> None:
    with pytest.raises(MissingEntitlement) as raised:
        authorize(USER, uid="guest", entitlement="software_upload")
    assert "software_upload" in raised.value.message


def test_empty_header_is_unauthorized() -> None:
    with pytest.raises(Unauthorized):
        parse_basic(None)
