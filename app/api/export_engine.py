"""The export engine (being built)."""

from datetime import datetime
from typing import Any

from uforge_mock.jobs.simulation import export_state
from uforge_mock.store.queries import ExportRecord
from uforge_mock.wire.render import format_datetime


def ticket_json(export: ExportRecord, now: datetime) -> dict[str, Any]:
    facts = export.facts
    state = export_state(facts, now)
    return {
        "dbId": facts.db_id,
        "mySoftware": export.my_software_id,
        "owner": export.owner_login,
        "outputFormat": export.output_format,
        "created": format_datetime(facts.created),
        "duration": facts.duration_seconds,
        "outcome": facts.outcome,
        "percentage": facts.percentage,
        "message": facts.message,
        "errorMessage": facts.error_message,
        "detailedErrorMsg": facts.detailed_error_msg,
        "status": {
            "percentage": state.percentage,
            "complete": state.complete,
            "error": state.error,
            "cancelled": state.cancelled,
            "message": state.message,
            "lastModified": format_datetime(state.last_modified),
        },
    }
