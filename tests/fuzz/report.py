"""What a schemathesis run did, per operation of the OpenAPI document, from its HAR report."""

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

# Lines for the terminal summary, collected over the session.
SUMMARY = pytest.StashKey[list[str]]()
OTHER = "(undocumented method)"


def operation_matchers(document: dict[str, Any]) -> list[tuple[str, re.Pattern[str], str]]:
    """(method, path regex, operationId) of every documented operation."""
    matchers = []
    for template, path_item in document["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]*", re.escape(template)) + "$")
        for method, operation in path_item.items():
            matchers.append((method.upper(), pattern, operation["operationId"]))
    return matchers


def statuses_by_operation(har: Path, document: dict[str, Any]) -> dict[str, Counter[int]]:
    """How often each operation answered each status code in the run that wrote `har`."""
    matchers = operation_matchers(document)
    seen: dict[str, Counter[int]] = {}
    for entry in json.loads(har.read_text())["log"]["entries"]:
        method = entry["request"]["method"]
        path = re.sub(r"^[a-z]+://[^/]+", "", entry["request"]["url"]).split("?", 1)[0]
        name = next(
            (name for verb, pattern, name in matchers if verb == method and pattern.match(path)),
            OTHER,
        )
        seen.setdefault(name, Counter())[entry["response"]["status"]] += 1
    return seen


def documented_statuses(document: dict[str, Any]) -> dict[str, set[int]]:
    return {
        operation["operationId"]: {int(code) for code in operation["responses"]}
        for path_item in document["paths"].values()
        for operation in path_item.values()
    }


def describe(seen: dict[str, Counter[int]]) -> list[str]:
    return [
        f"  {name:<28} " + " ".join(f"{code}x{count}" for code, count in sorted(seen[name].items()))
        for name in sorted(seen)
    ]
