"""Prints what the fuzzing runs did (their numbers are worth seeing on a green run too)."""

import pytest

from tests.fuzz.report import SUMMARY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = terminalreporter.config.stash.get(SUMMARY, [])
    if lines:
        terminalreporter.section("schemathesis")
        for line in lines:
            terminalreporter.write_line(line)
