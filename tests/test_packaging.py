"""uforge-mock installed the way a user installs it: a wheel built from the checkout, in a fresh
virtualenv of its own (no system site-packages, not the project's .venv), used from a project of
the user's that has its own `app` package and a `conftest.py` that never names uforge-mock.

One wheel and one virtualenv serve the whole module (about 30 s: the build fetches setuptools,
pip installs the dependencies from the index and cache this machine's pip is configured with).
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.conftest import ROOT

# What the plugin must not import before a test asks for a fixture: the server's own stack.
HEAVY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "sqlmodel", "alembic", "httpx")

# The variables of this run that would make the user's run see something else than a plain
# install: the checkout on the path, this venv, pytest options, uforge-mock settings.
NOT_INHERITED = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
NOT_INHERITED_PREFIXES = ("PYTEST_", "UFORGE_MOCK_")

USER_PYPROJECT = """
[tool.pytest.ini_options]
addopts = "--strict-markers"
filterwarnings = ["error"]
"""

USER_CONFTEST = """
import pytest


@pytest.fixture
def who():
    return "guest"
"""

USER_GREETING = """
def greet(name):
    return f"Hello, {name}"
"""

USER_TEST = """
from pathlib import Path

import app
import httpx
from app.greeting import greet

JSON = {"Accept": "application/json"}


def test_my_app_and_the_mock_together(uforge_mock, who):
    assert Path(app.__file__).parent == Path(__file__).parent.parent / "app"
    assert greet(uforge_mock.username) == greet(who) == "Hello, guest"

    service = httpx.get(f"{uforge_mock.base_url}/status", headers=JSON)
    assert service.status_code == 200
    assert service.json()["serviceStatus"]["alive"] is True

    uforge_mock.seed({"exports": [{"dbId": 7, "mySoftware": 918, "duration": 0}]})
    url = f"{uforge_mock.base_url}/users/{who}/mysoftware/918/exports/7/status"
    status = httpx.get(url, auth=uforge_mock.auth, headers=JSON)
    assert status.status_code == 200
    assert status.json()["status"]["complete"] is True
    assert httpx.get(url, headers=JSON).status_code == 401
"""

LIGHT_RUN_TEST = f"""
import sys

HEAVY = {HEAVY!r}


def test_the_plugin_is_loaded_but_its_server_is_not():
    assert "uforge_mock.testing.plugin" in sys.modules
    loaded = {{name.split(".")[0] for name in sys.modules}}
    assert sorted(loaded.intersection(HEAVY)) == []
"""


def run(
    command: Sequence[str | Path], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return folder


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built by pip from a copy of what the Dockerfile copies (a build in
    the checkout would leave build/ behind in it)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        (source / name).write_bytes((ROOT / name).read_bytes())
    no_bytecode = shutil.ignore_patterns("__pycache__")
    for folder in ("app", "migrations"):
        shutil.copytree(ROOT / folder, source / folder, ignore=no_bytecode)
    wheels = tmp_path_factory.mktemp("wheels")
    result = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", wheels, source])
    assert result.returncode == 0, report(result)
    (built,) = wheels.glob("uforge_mock-*.whl")
    return built


@pytest.fixture(scope="module")
def env(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a fresh virtualenv holding the wheel and pytest, and nothing of this
    run; its `bin` folder leads the PATH."""
    venv = tmp_path_factory.mktemp("venv")
    created = run([sys.executable, "-m", "venv", "--clear", venv])
    assert created.returncode == 0, report(created)
    python = venv / "bin" / "python"
    installed = run([python, "-m", "pip", "install", "--quiet", wheel, "pytest"])
    assert installed.returncode == 0, report(installed)
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in NOT_INHERITED and not name.startswith(NOT_INHERITED_PREFIXES)
    }
    environment["VIRTUAL_ENV"] = str(venv)
    environment["PATH"] = os.pathsep.join([str(venv / "bin"), os.environ.get("PATH", "")])
    return environment


def test_the_wheel_installs_uforge_mock_and_no_app_package(
    env: dict[str, str], tmp_path: Path
) -> None:
    probe = "import importlib.util as u, uforge_mock as m; print(u.find_spec('app'), m.__file__)"
    result = run(["python", "-c", probe], env=env, cwd=tmp_path)
    assert result.returncode == 0, report(result)
    app_spec, location = result.stdout.split()
    assert app_spec == "None"
    assert Path(location).parent.parent.name == "site-packages"


def test_a_users_project_with_its_own_app_package_uses_the_fixture(
    env: dict[str, str], tmp_path: Path
) -> None:
    project = write(
        tmp_path / "project",
        {
            "pyproject.toml": USER_PYPROJECT,
            "conftest.py": USER_CONFTEST,
            "app/__init__.py": "",
            "app/greeting.py": USER_GREETING,
            "tests/test_together.py": USER_TEST,
        },
    )
    result = run(["pytest", "-q", "-p", "no:cacheprovider"], env=env, cwd=project)
    assert result.returncode == 0, report(result)
    assert "1 passed" in result.stdout, report(result)


def test_a_run_without_the_fixtures_loads_the_plugin_but_not_the_server(
    env: dict[str, str], tmp_path: Path
) -> None:
    project = write(tmp_path / "project", {"test_light.py": LIGHT_RUN_TEST})
    result = run(["pytest", "-q", "-p", "no:cacheprovider"], env=env, cwd=project)
    assert result.returncode == 0, report(result)
    assert "1 passed" in result.stdout, report(result)


@pytest.mark.parametrize(
    "command", [["uforge-mock", "--help"], ["python", "-m", "uforge_mock", "--help"]]
)
def test_the_command_runs_from_the_wheel(
    command: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    result = run(command, env=env, cwd=tmp_path)
    assert result.returncode == 0, report(result)
    for subcommand in ("serve", "migrate", "seed", "ctl"):
        assert subcommand in result.stdout


def test_migrate_uses_the_migrations_inside_the_wheel(env: dict[str, str], tmp_path: Path) -> None:
    # Run from an empty folder: no checkout's migrations/ anywhere near.
    database = tmp_path / "store.db"
    result = run(
        ["uforge-mock", "migrate", "--database-url", f"sqlite:///{database}"],
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, report(result)
    with sqlite3.connect(database) as connection:
        (revisions,) = connection.execute("SELECT count(*) FROM alembic_version").fetchone()
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert revisions == 1
    assert "alembic_version" in tables and len(tables) > 1
