"""The tooling of pyproject.toml holds: ruff (lint and format) and mypy --strict."""

import subprocess
import sys

from tests.conftest import ROOT


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    lint = run(sys.executable, "-m", "ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout
    formatting = run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert formatting.returncode == 0, formatting.stdout


def test_mypy_strict_passes_on_the_package_and_the_tests() -> None:
    result = run(sys.executable, "tools/typecheck.py")
    assert result.returncode == 0, result.stdout
