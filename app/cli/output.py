"""What the commands print: a readable table by default, JSON with `--json`."""

import argparse
import json
from collections.abc import Sequence
from typing import Any


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as a plain text table, one line per row, columns padded."""
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [
        max([len(column), *(len(line[i]) for line in cells)]) for i, column in enumerate(columns)
    ]
    lines = [
        "  ".join(
            column.upper().ljust(width) for column, width in zip(columns, widths, strict=True)
        )
    ]
    lines += [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in cells
    ]
    return "\n".join(line.rstrip() for line in lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(sorted(str(item) for item in value)) or "-"
    return str(value)


def emit(arguments: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2) if arguments.json else text)


TICKET_COLUMNS = [
    "dbId",
    "mySoftware",
    "owner",
    "outcome",
    "duration",
    "percent",
    "state",
    "message",
]


IMPORT_COLUMNS = [
    "dbId",
    "owner",
    "imported",
    "mySoftware",
    "outcome",
    "percent",
    "state",
    "message",
]


# The columns of an appliance export ticket and of an appliance import (`ctl appliances`).
APPLIANCE_TICKET_COLUMNS = [
    "dbId",
    "appliance",
    "owner",
    "outcome",
    "duration",
    "percent",
    "state",
    "message",
]
APPLIANCE_IMPORT_COLUMNS = [
    "dbId",
    "owner",
    "imported",
    "appliance",
    "outcome",
    "percent",
    "state",
    "message",
]


def ticket_row(ticket: dict[str, Any]) -> dict[str, Any]:
    status = ticket["status"]
    state = ("complete" if status["complete"] else "error" if status["error"]
             else "cancelled" if status["cancelled"] else "running")  # fmt: skip
    return {**ticket, "percent": status["percentage"], "state": state, "message": status["message"]}
