"""schemathesis against a live server with valid credentials (the demo user `guest`): every
operation of openapi/openapi.json, its examples, boundary and invalid inputs, and random ones.
Zero 5xx, and no answer outside the documented status codes, headers and schemas.

A run is bounded by MAX_EXAMPLES cases per operation and phase (a few hundred requests, a few
seconds). It runs on a fresh server once per kind of Accept header: the default (XML), JSON (the
only form whose bodies schemathesis can check against the schemas) and an unacceptable one (406);
the JSON run is repeated on PostgreSQL, whose text and integers refuse more than SQLite's.
Every documented status code must be reached (but those NOT_REQUIRED): the document's examples
(rows of the demo dataset, and ids that answer 403 and 404) reach them all without luck.
schemathesis.toml holds what the document cannot say (the rules of a listing's query and of a
body beyond their schemas, which row a delete may take). The seed is fixed so that a run is
repeatable; change it to explore other random cases.
"""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backends import server_on
from tests.conftest import ROOT
from tests.fuzz.report import (
    OTHER,
    SUMMARY,
    describe,
    documented_statuses,
    statuses_by_operation,
)

MAX_EXAMPLES = 25
SEED = 20261126
DOCUMENT = json.loads((ROOT / "openapi" / "openapi.json").read_text())
CONFIG = Path(__file__).with_name("schemathesis.toml")
# Unreachable on purpose: the contract's last resort (500), and the server's limits (413, 431,
# 503),
# which tests/attacks reaches against real servers.
NEVER_EXPECTED = {413, 431, 500, 503}
# Documented answers that a run as guest cannot be expected to meet: another user's path is a
# 404 for an admin only (guest gets a 403), and a 415 needs a Content-Type the document does not
# offer, which schemathesis sends only now and then. tests/test_my_software_family.py and
# tests/test_request_bodies.py reach them.
NOT_REQUIRED = {
    "mySoftware_getAll": {404},
    "mySoftware_create": {404, 415},
    "mySoftware_update": {415},
    "mySoftware_clone": {415},
    "user_get": {404},
    "userOrg_getAll": {404},
    # An upload's 201 needs a ticket still waiting for its archive, which only a POST before
    # it makes: a run of independent requests meets the demo's uploaded tickets (409) or none
    # (404). tests/test_bundle_imports.py and the official clients reach the 201.
    "softwareBundleImport_upload": {201},
    "applianceImport_upload": {201},
    "appliance_getAll": {404},
    "applianceExport_getAll": {404},
    "applianceExport_getAllStatus": {404},
    "applianceImport_getAll": {404},
    "applianceImport_getAllStatus": {404},
    "userMachineImage_getAll": {404},
    "appliance_clone": {415},
    # A cancel's 200 needs an export still running, and a delete's 204 an export no other
    # operation's example needs, which only a POST before them makes (the demo's exports have
    # ended: 409; its one complete export is every other operation's example).
    # tests/test_export_cancel.py and tests/test_appliance_exports.py reach them.
    "applianceExport_cancel": {200},
    "applianceExport_delete": {204},
    # The demo's one appliance import is every other import operation's example: the delete
    # names no ticket of the demo (schemathesis.toml). tests/test_appliance_imports.py and the
    # official SDK (tests/official) reach its 204.
    "applianceImport_delete": {204},
}
RUNS = {
    "xml": [],
    "json": ["--header", "Accept: application/json"],
    # The header is the test's, not the document's (OpenAPI ignores an Accept parameter): valid
    # requests are then refused on purpose, which positive_data_acceptance would report.
    "unacceptable": [
        "--header",
        "Accept: text/html",
        "--exclude-checks",
        "positive_data_acceptance",
    ],
}

CASES = [
    *(pytest.param("sqlite", run, id=f"sqlite-{run}") for run in RUNS),
    pytest.param("postgresql", "json", id="postgresql-json", marks=pytest.mark.postgresql),
]


@pytest.fixture
def demo_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh server holding the demo dataset (the document's examples name its rows)."""
    with server_on(request.param, request, tmp_path / "data") as base:
        yield base


def expected_statuses(run: str) -> dict[str, set[int]]:
    """The codes each operation must have answered at least once in `run`."""
    expected = {}
    for name, documented in documented_statuses(DOCUMENT).items():
        reachable = documented - NEVER_EXPECTED - NOT_REQUIRED.get(name, set())
        if run == "unacceptable":
            expected[name] = reachable & {406}
        else:
            expected[name] = reachable - {406}
    return expected


@pytest.mark.parametrize(("demo_server", "run"), CASES, indirect=["demo_server"])
def test_fuzzing_finds_no_contract_violation(
    demo_server: str, run: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    reports = tmp_path / "reports"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        f"{demo_server}/openapi.json",
        "--auth",
        "guest:guest-secret",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--report",
        "har,json",
        "--report-dir",
        str(reports),
        *RUNS[run],
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    (summary,) = reports.glob("json-*.json")
    (har,) = reports.glob("har-*.json")
    cases = json.loads(summary.read_text())["test_cases"]
    seen = statuses_by_operation(har, DOCUMENT)
    backend = request.node.callspec.params["demo_server"]
    request.config.stash.setdefault(SUMMARY, []).extend(
        [
            f"{backend}, {run}: {cases['generated']} cases, "
            f"{cases['with_failures']} with failures, {cases['errored']} errored",
            *describe(seen),
        ]
    )
    assert result.returncode == 0, result.stdout[-20_000:]
    missing = {
        name: sorted(codes - set(seen.get(name, {})))
        for name, codes in expected_statuses(run).items()
        if codes - set(seen.get(name, {}))
    }
    assert not missing, f"statuses never reached: {missing}\n" + "\n".join(describe(seen))
    assert all(code == 405 for code in seen.get(OTHER, {}))
