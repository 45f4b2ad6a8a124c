"""Running the official clients against the official server, and reading what they leave: hammr's
tables, the archives of exported bundles, the server's answers to plain HTTP."""

import json
import ntpath
import os
import re
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import httpx
import yaml

HERE = Path(__file__).resolve().parent

# A file tree as a bundle describes it: a file's name -> its bytes, a folder's name -> its tree.
Tree = dict[str, "bytes | Tree"]


def sdk(py27_bin: Path, url: str, *arguments: str, driver: str = "sdk_driver.py") -> dict[str, Any]:
    """Run sdk_driver.py (or another `driver` of this folder: see its docstring) and return the
    JSON object it printed."""
    result = subprocess.run(
        [str(py27_bin / "python"), str(HERE / driver), url, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def hammr(
    py27_bin: Path, url: str, *arguments: str, cwd: Path, answer: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run `hammr -a URL ARGUMENTS` in `cwd` (its HOME too), `answer` on its standard input."""
    env = {**os.environ, "ANSI_COLORS_DISABLED": "1", "HOME": str(cwd)}
    return subprocess.run(
        [str(py27_bin / "hammr"), "-a", url, *arguments],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
        env=env,
        input=answer,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    """What a client printed, for assertion messages."""
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def printed_id(stdout: str, label: str = "Bundle Id :") -> int:
    """The number hammr printed after `label` (`Bundle Id : 1042`)."""
    found = re.search(re.escape(label) + r"\s*(\d+)", stdout)
    assert found, f"no {label!r} in:\n{stdout}"
    return int(found.group(1))


def table(stdout: str) -> list[list[str]]:
    """The rows of the Texttable hammr printed (the header first), each cell stripped."""
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in stdout.splitlines()
        if line.startswith("|")
    ]


def archive_members(path: Path) -> dict[str, bytes]:
    """The regular files of a .tar.gz by member name (a name given twice: its last member)."""
    members: dict[str, bytes] = {}
    with tarfile.open(path, "r:gz") as archive:
        for member in archive.getmembers():
            content = archive.extractfile(member) if member.isfile() else None
            if content is not None:
                members[member.name] = content.read()
    return members


def bundle_file(path: Path) -> dict[str, Any]:
    """The bundle file (bundle.yml or bundle.json) of an exported bundle's archive."""
    members = archive_members(path)
    if "bundle.json" in members:
        return json.loads(members["bundle.json"])  # type: ignore[no-any-return]
    return yaml.safe_load(members["bundle.yml"])  # type: ignore[no-any-return]


def _tree(entries: list[dict[str, Any]], members: dict[str, bytes]) -> Tree:
    tree: Tree = {}
    for entry in entries:
        listed = entry.get("files") or []
        source = entry["source"]
        if listed or source not in members:
            tree[entry["name"]] = _tree(listed, members)
        else:
            tree[entry["name"]] = members[source]
    return tree


def _attachment(source: str | None, members: dict[str, bytes]) -> tuple[str, bytes] | None:
    if source is None:
        return None
    return ntpath.basename(source), members[source]


def described(path: Path) -> dict[str, Any]:
    """The software an exported bundle's archive describes, whatever its layout: its metadata,
    its files as a Tree (their bytes read from the archive), its license and logo as (file
    name, bytes)."""
    members = archive_members(path)
    bundle = bundle_file(path)
    return {
        "name": bundle["name"],
        "version": str(bundle["version"]),
        "description": bundle.get("description"),
        "category": bundle.get("category"),
        "files": _tree(bundle["files"], members),
        "license": _attachment((bundle.get("license") or {}).get("source"), members),
        "logo": _attachment(bundle.get("sourceLogo"), members),
    }


def http_get(url: str, path: str, login: str, password: str, **params: str) -> httpx.Response:
    """GET `url` + `path` in JSON with Basic credentials: the server's state, without a client."""
    return httpx.get(
        url + path,
        params=params,
        auth=(login, password),
        headers={"Accept": "application/json"},
        timeout=30,
    )
