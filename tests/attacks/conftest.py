"""The attack suite: each test reproduces an attack a hostile or broken client made against a
real server (loopback only, bounded in time) and fails without the fix that holds it off."""

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/attacks/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.attack)
