"""Basic authentication: the credential memory, its invalidation, and its bounds."""

import asyncio

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import GUEST, STATUS_17, basic, seed
from uforge_mock.platform.security import Credentials, CredentialVerifier, authorize, parse_basic
from uforge_mock.store.passwords import PasswordHasher
from uforge_mock.store.queries import UserRecord
from uforge_mock.wire.errors import Forbidden, MissingEntitlement, Unauthorized

FAST = {"memory_kib": 1024, "time_cost": 1}


def verifier(*, max_concurrent: int = 2, cache_size: int = 100) -> CredentialVerifier:
    return CredentialVerifier(
        PasswordHasher(**FAST), max_concurrent=max_concurrent, cache_size=cache_size
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
