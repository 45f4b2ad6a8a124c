"""Where the time goes: summarize py-spy raw profiles recorded by `run.py --profile DIR`.

    python bench/profile_summary.py DIR [--top 30]

For each SCENARIO.stacks (py-spy `--format raw`: one `frame;frame;... count` line per stack)
and its SCENARIO.wrk.json (the wrk run that drove it, with the server's CPU time per request),
prints:

- the time by package, charged to the innermost Python frame of each sample (py-spy without
  `--native` charges C code, e.g. sqlite3 or lxml, to the Python line that called it);
- the inclusive share of the most expensive functions, and of every function of `app/`,
  converted to microseconds of CPU per request.

Only the event-loop thread is counted (worker threads idle in the thread pool are left out), and
only whole stacks (those that start at the program's entry point).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]*)(?::(?P<line>\d+))?\)$")
_CATEGORIES = (
    ("app/", "app (uforge-mock's own code)"),
    ("sqlalchemy/", "SQLAlchemy"),
    ("sqlmodel/", "SQLModel types"),
    ("fastapi/", "FastAPI"),
    ("starlette/", "Starlette"),
    ("uvicorn/", "uvicorn"),
    ("logging/", "logging (access log)"),
    ("asyncio/", "asyncio / uvloop"),
    ("uvloop/", "asyncio / uvloop"),
    ("anyio/", "anyio"),
    ("pydantic", "pydantic"),
    ("email/", "email.utils (HTTP dates)"),
    ("hmac.py", "hmac"),
    ("base64.py", "base64"),
)


def _parse(frame: str) -> tuple[str, str]:
    match = _FRAME.match(frame)
    if not match:
        return frame, ""
    return match.group("function"), match.group("file")


def _category(file: str) -> str:
    for prefix, name in _CATEGORIES:
        if file.startswith(prefix) or f"/{prefix}" in file:
            return name
    top = file.split("/", 1)[0] or "?"
    return f"other: {top}"


def load(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit() or "Thread._bootstrap" in stack:
            continue  # thread-pool workers: idle, or a credential check off the loop
        stacks.append(([_parse(frame) for frame in stack.split(";")], int(count)))
    roots: Counter[tuple[str, str]] = Counter()
    for frames, count in stacks:
        roots[frames[0]] += count
    if roots:
        root = roots.most_common(1)[0][0]
        stacks = [(frames, count) for frames, count in stacks if frames[0] == root]
    return stacks


def summarize(path: Path, top: int) -> str:
    stacks = load(path)
    total = sum(count for _, count in stacks) or 1
    run_file = path.with_suffix(".wrk.json")
    cpu_us = None
    if run_file.exists():
        cpu_us = json.loads(run_file.read_text()).get("cpu_us_per_request")
    by_category: Counter[str] = Counter()
    inclusive: Counter[tuple[str, str]] = Counter()
    for frames, count in stacks:
        by_category[_category(frames[-1][1])] += count
        for frame in set(frames):
            inclusive[frame] += count

    def cost(samples: int) -> str:
        share = samples / total
        if cpu_us is None:
            return f"{share:6.1%}"
        return f"{share:6.1%} {share * cpu_us:7.0f} µs"

    lines = [
        f"## {path.stem}: {total} samples of the event-loop thread"
        + (f", {cpu_us:.0f} µs CPU per request (under py-spy)" if cpu_us else ""),
        "",
        "By package (innermost Python frame):",
    ]
    for name, count in by_category.most_common():
        lines.append(f"  {cost(count)}  {name}")
    lines += ["", f"Most expensive functions (inclusive, top {top}):"]
    skip = ("<module>", "main", "run", "asyncio_run", "Runner.run", "Server.run", "_serve")
    shown = 0
    for (function, file), count in inclusive.most_common():
        if function in skip:
            continue
        lines.append(f"  {cost(count)}  {function} ({file})")
        shown += 1
        if shown >= top:
            break
    lines += ["", "Every function of app/ (inclusive):"]
    for (function, file), count in inclusive.most_common():
        if file.startswith("app/"):
            lines.append(f"  {cost(count)}  {function} ({file})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--top", type=int, default=30)
    arguments = parser.parse_args(argv)
    for path in sorted(arguments.directory.glob("*.stacks")):
        print(summarize(path, arguments.top))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
