"""The Dockerfile and compose.yaml say what the deployment needs (tools/docker-check.sh builds
and runs the image for real, where a Docker engine is at hand)."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run(
        [str(hadolint), "--no-color", "--failure-threshold", "warning", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_builds_with_the_classic_builder() -> None:
    # No frontend to pull, no BuildKit-only instruction: `docker build` works without buildx.
    assert not re.search(r"^#\s*syntax=", DOCKERFILE, re.MULTILINE | re.IGNORECASE)
    assert not re.search(r"--mount=|--link\b|--chmod=|<<\w", DOCKERFILE)


def test_image_starts_from_debian_and_runs_unprivileged() -> None:
    stages = re.findall(r"^FROM (\S+)", DOCKERFILE, re.MULTILINE)
    assert stages == ["debian:bookworm-slim", "debian:bookworm-slim"]
    assert re.search(r"^USER 10001:10001$", DOCKERFILE, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK .*\n.*/api/status", DOCKERFILE, re.MULTILINE)
    assert re.search(r"^VOLUME /data$", DOCKERFILE, re.MULTILINE)


def test_compose_serves_the_mock_on_a_healthy_postgresql() -> None:
    mock = COMPOSE["services"]["uforge-mock"]
    postgres = COMPOSE["services"]["postgres"]
    assert mock["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert mock["environment"]["UFORGE_MOCK_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert postgres["healthcheck"]["test"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])


def test_compose_enables_the_control_api_with_a_token_from_the_environment() -> None:
    environment = COMPOSE["services"]["uforge-mock"]["environment"]
    assert environment["UFORGE_MOCK_CONTROL_ENABLED"] == "true"
    # ${NAME:?message}: compose refuses to start without it, rather than run the API open.
    assert environment["UFORGE_MOCK_CONTROL_TOKEN"].startswith("${UFORGE_MOCK_CONTROL_TOKEN:?")
