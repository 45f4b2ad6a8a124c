"""mypy --strict over the package, under its import name, and over the tests.

The package's source folder is `app/` while its import name is `uforge_mock` (pyproject's
`package-dir`). An editable install reaches it through an import hook, which mypy does not run,
so this gives mypy a folder where `uforge_mock` is a link to `app/`, and checks it from there.

    python tools/typecheck.py [extra mypy arguments]
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("uforge_mock", "tests")


def main(arguments: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="uforge-mock-mypy-") as folder:
        (Path(folder) / "uforge_mock").symlink_to(ROOT / "app", target_is_directory=True)
        environment = {**os.environ, "MYPYPATH": folder}
        command = [sys.executable, "-m", "mypy"]
        for package in PACKAGES:
            command += ["-p", package]
        return subprocess.call([*command, *arguments], cwd=ROOT, env=environment)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
