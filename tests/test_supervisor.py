"""Supervisor logins: `ADMIN\\USER` with ADMIN's password acts as USER (hammr's `-u 'ADMIN\\USER'`).

The supervisor `boss` is an administrator holding every entitlement, so that whatever the
requests below may do can only come from the target they act as, never from `boss` itself.
"""

import asyncio

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import STATUS_17, basic, seed
from uforge_mock.platform.security import (
    Credentials,
    CredentialVerifier,
    authenticate_basic,
    parse_basic,
)
from uforge_mock.store.passwords import PasswordHasher
from uforge_mock.store.queries import UserRecord
from uforge_mock.wire.errors import AuthenticationBusy, Unauthorized

MY_SOFTWARE_918 = "/api/users/guest/mysoftware/918"
STATUS_30_OF_OTHER = "/api/users/other/mysoftware/919/exports/30/status"
STATUS_17_OF_VIEWER = "/api/users/viewer/mysoftware/918/exports/17/status"

BOSS = {
    "login": "boss",
    "password": "boss-pw",
    "admin": True,
    "entitlements": ["supervisor_access", "software_upload", "appliance_create"],
}
# Every entitlement but the supervisor's.
LACKEY = {
    "login": "lackey",
    "password": "lackey-pw",
    "admin": True,
    "entitlements": ["software_upload", "appliance_create"],
}

BOSS_AS_GUEST = basic("boss\\guest", "boss-pw")


@pytest.fixture
def supervised(client: TestClient, app: FastAPI) -> TestClient:
    """The client on the base world (`guest`, `viewer`, `other`...) plus `boss` and `lackey`."""
    seed(app, {"users": [BOSS, LACKEY]})
    return client


def assert_login_refused(
    client: TestClient, login: str, password: str, *, if_none_match: str | None = None
) -> None:
    """`login` and `password` get a failed login's answer (the same whatever made it fail)."""
    headers = basic(login, password)
    if if_none_match is not None:
        headers["If-None-Match"] = if_none_match
    response = client.get(STATUS_17, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="UForge"'
    assert "<messageId>mock.error.unauthorized</messageId>" in response.text


# ---------------------------------------------------------------- acting as the target


def test_a_supervisor_reads_the_targets_export_status(supervised: TestClient) -> None:
    response = supervised.get(STATUS_17, headers=BOSS_AS_GUEST)
    assert response.status_code == 200
    assert "<uri>users/guest/mysoftware/918/exports/17/status</uri>" in response.text


def test_a_supervisor_reads_the_targets_my_software(supervised: TestClient) -> None:
    response = supervised.get(MY_SOFTWARE_918, headers=BOSS_AS_GUEST)
    assert response.status_code == 200
    assert "<name>Zabbix</name>" in response.text


def test_a_supervisor_revalidates_the_targets_status_with_its_etag(
    supervised: TestClient,
) -> None:
    etag = supervised.get(STATUS_17, headers=BOSS_AS_GUEST).headers["ETag"]
    response = supervised.get(STATUS_17, headers={**BOSS_AS_GUEST, "If-None-Match": etag})
    assert response.status_code == 304


def test_a_wrong_supervisor_password_with_a_matching_etag_is_unauthorized(
    supervised: TestClient,
) -> None:
    etag = supervised.get(STATUS_17, headers=BOSS_AS_GUEST).headers["ETag"]
    assert_login_refused(supervised, "boss\\guest", "wrong", if_none_match=etag)


def test_a_supervisor_acting_as_a_user_cannot_read_another_users_path(
    supervised: TestClient,
) -> None:
    # `boss` is an administrator, `guest` is not: the request has guest's rights only.
    response = supervised.get(STATUS_30_OF_OTHER, headers=BOSS_AS_GUEST)
    assert response.status_code == 403
    assert "<messageId>mock.error.forbidden.user</messageId>" in response.text
    assert "User guest may not act on behalf of user other" in response.text


def test_the_targets_entitlements_apply_not_the_supervisors(supervised: TestClient) -> None:
    response = supervised.get(STATUS_17_OF_VIEWER, headers=basic("boss\\viewer", "boss-pw"))
    assert response.status_code == 403
    assert "User viewer does not have the entitlement software_upload" in response.text


def test_a_supervisor_may_log_in_as_itself(supervised: TestClient) -> None:
    status = "/api/users/boss/mysoftware/918/exports/17/status"
    # Past authentication: boss owns no mySoftware 918, so its own path is a 404.
    assert supervised.get(status, headers=basic("boss\\boss", "boss-pw")).status_code == 404


# ---------------------------------------------------------------- refused logins


def test_a_supervisor_login_with_a_wrong_password_is_unauthorized(
    supervised: TestClient,
) -> None:
    assert_login_refused(supervised, "boss\\guest", "wrong")


def test_a_supervisor_login_with_the_targets_password_is_unauthorized(
    supervised: TestClient,
) -> None:
    assert_login_refused(supervised, "boss\\guest", "guest-pw")


def test_a_user_without_supervisor_access_cannot_act_as_another(supervised: TestClient) -> None:
    assert_login_refused(supervised, "lackey\\guest", "lackey-pw")


def test_a_supervisor_login_naming_an_unknown_target_is_unauthorized(
    supervised: TestClient,
) -> None:
    assert_login_refused(supervised, "boss\\ghost", "boss-pw")


def test_an_unknown_supervisor_is_unauthorized(supervised: TestClient) -> None:
    assert_login_refused(supervised, "ghost\\guest", "boss-pw")


@pytest.mark.parametrize("login", ["\\guest", "boss\\", "boss\\\\guest", "boss\\guest\\x", "\\"])
def test_a_malformed_supervisor_login_is_unauthorized(supervised: TestClient, login: str) -> None:
    assert_login_refused(supervised, login, "boss-pw")


def test_revoked_supervisor_access_takes_effect_at_once(
    supervised: TestClient, app: FastAPI
) -> None:
    assert supervised.get(STATUS_17, headers=BOSS_AS_GUEST).status_code == 200
    seed(app, {"users": [{**BOSS, "entitlements": ["software_upload", "appliance_create"]}]})
    assert_login_refused(supervised, "boss\\guest", "boss-pw")


# ---------------------------------------------------------------- the credential memory


def test_a_polling_supervisor_is_hashed_once(supervised: TestClient, app: FastAPI) -> None:
    verifier: CredentialVerifier = app.state.mock.verifier
    before = verifier.verifications
    for _ in range(3):
        assert supervised.get(STATUS_17, headers=BOSS_AS_GUEST).status_code == 200
    assert verifier.verifications == before + 1


def test_a_supervisor_login_is_remembered_apart_from_the_plain_login(
    supervised: TestClient, app: FastAPI
) -> None:
    verifier: CredentialVerifier = app.state.mock.verifier
    own_status = "/api/users/boss/mysoftware/918/exports/17/status"
    supervised.get(own_status, headers=basic("boss", "boss-pw"))
    before = verifier.verifications
    assert supervised.get(STATUS_17, headers=BOSS_AS_GUEST).status_code == 200
    assert verifier.verifications == before + 1


# ---------------------------------------------------------------- without an app

FAST = {"memory_kib": 1024, "time_cost": 1}


def test_parse_basic_splits_a_supervisor_login_into_supervisor_and_target() -> None:
    credentials = parse_basic(basic("boss\\guest", "pw")["Authorization"])
    assert credentials == Credentials("boss", "pw", "guest")


def test_a_wrong_supervisor_password_never_looks_the_target_up() -> None:
    hasher = PasswordHasher(**FAST)
    boss = UserRecord(
        id=1,
        login="boss",
        password_hash=hasher.hash("boss-pw"),
        admin=False,
        entitlements=frozenset({"supervisor_access"}),
    )
    asked: list[str] = []

    async def load_user(login: str) -> UserRecord | None:
        asked.append(login)
        return boss if login == "boss" else None

    async def run() -> None:
        verifier = CredentialVerifier(
            hasher, max_concurrent=1, cache_size=10, max_per_login=10, max_waiting=10, retry_after=1
        )
        header = basic("boss\\ghost", "wrong")["Authorization"]
        await authenticate_basic(header, load_user=load_user, verifier=verifier)

    with pytest.raises(Unauthorized):
        asyncio.run(run())
    assert asked == ["boss"]  # the target's existence cannot show before the password is right


def test_a_supervisors_checks_count_against_its_own_bound_whatever_the_target() -> None:
    stored_hash = PasswordHasher(**FAST).hash("right")
    verifier = CredentialVerifier(
        PasswordHasher(**FAST),
        max_concurrent=1,
        cache_size=10,
        max_per_login=2,
        max_waiting=10,
        retry_after=1,
    )

    async def run() -> list[bool | BaseException]:
        attempts = [
            verifier.verify(Credentials("boss", "wrong"), stored_hash),
            verifier.verify(Credentials("boss", "wrong", "guest"), stored_hash),
            verifier.verify(Credentials("boss", "wrong", "other"), stored_hash),
        ]
        return await asyncio.gather(*attempts, return_exceptions=True)

    first, second, third = asyncio.run(run())
    assert (first, second) == (False, False)
    assert isinstance(third, AuthenticationBusy)
