"""The base columns of every study table: name, kind, required, bounds, allowed values, row keys.

The one description of the tables (docs/architecture.md, ``schemas/README.md``) that the pandera schemas
(:mod:`.schemas`), the reading of spreadsheet and SPSS files (:mod:`.conform`), contract drafts
and the documentation all read.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["BASE_COLUMNS", "CYCLE_EVENTS", "METHODS", "SAMPLE_TYPES", "SEXES", "key_columns"]

SEXES = ("female", "male", "other")
SAMPLE_TYPES = ("subject", "control")
METHODS = ("immunoassay", "lc_ms_ms")
CYCLE_EVENTS = ("menses_onset", "lh_positive", "lh_negative", "bleeding")


@dataclass(frozen=True)
class _Col:
    name: str
    kind: str  # "id" | "str" | "float" | "int" | "bool" | "time" | "date"
    required: bool = False
    nullable: bool = True
    min: float | None = None
    max: float | None = None
    values: tuple | None = None


#: The base columns of every table (required ones first).
BASE_COLUMNS: dict[str, tuple[_Col, ...]] = {
    "subjects": (
        _Col("subject_id", "id", required=True, nullable=False),
        _Col("sex", "str", values=SEXES),
        _Col("age", "float", min=0, max=120),
        _Col("group", "str"),
        _Col("arm", "str"),
        _Col("dyad_id", "id"),
        _Col("role", "str"),
        _Col("contraception", "str"),
        _Col("menopause_stage", "str"),
        _Col("ancestry", "str"),
    ),
    "samples": (
        _Col("subject_id", "id", required=True, nullable=False),
        _Col("analyte", "str", required=True, nullable=False),
        _Col("matrix", "str", required=True, nullable=False),
        _Col("value", "reading", required=True),
        _Col("unit", "str", required=True, nullable=False),
        _Col("session", "str"),
        _Col("sample_id", "id"),
        _Col("sample_number", "int", min=0),
        _Col("sample_time", "time"),
        _Col("wake_time", "time"),
        _Col("method", "str", values=METHODS),
        _Col("extracted", "bool"),
        _Col("lod", "float", min=0),
        _Col("below_lod", "bool"),
        _Col("replicate", "int", min=1),
        _Col("plate_id", "id"),
        _Col("batch_id", "id"),
        _Col("sample_type", "str", values=SAMPLE_TYPES),
    ),
    "genotypes": (
        _Col("subject_id", "id", required=True, nullable=False),
        _Col("snp", "str", required=True, nullable=False),
        _Col("genotype", "str", required=True),
        _Col("call_quality", "float", min=0),
    ),
    "responses": (
        _Col("subject_id", "id", required=True, nullable=False),
        _Col("instrument", "str", required=True, nullable=False),
        _Col("item", "id", required=True, nullable=False),
        _Col("response", "float"),
        _Col("session", "str"),
    ),
    "treatments": (
        _Col("subject_id", "id", required=True, nullable=False),
        _Col("agent", "str", required=True, nullable=False),
        _Col("session", "str"),
        _Col("dose", "float", min=0),
        _Col("dose_unit", "str"),
        _Col("route", "str"),
        _Col("start", "time"),
        _Col("stop", "time"),
        _Col("device", "str"),
        _Col("interval_min", "float", min=0),
    ),
    "cycles": (
        _Col("subject_id", "id", required=True, nullable=False),
        _Col("date", "date", required=True, nullable=False),
        _Col("event", "str", required=True, nullable=False, values=CYCLE_EVENTS),
    ),
}


def key_columns(table: str, frame: pd.DataFrame) -> list[str]:
    """The columns that identify one row of ``table`` (those present in ``frame``)."""
    keys = {
        "subjects": ["subject_id"],
        "samples": ["sample_type", "subject_id", "session", "sample_id", "sample_number",
                    "sample_time", "matrix", "analyte", "replicate", "plate_id"],
        "genotypes": ["subject_id", "snp"],
        "responses": ["subject_id", "session", "instrument", "item"],
        "treatments": ["subject_id", "session", "agent", "start"],
        "cycles": ["subject_id", "date", "event"],
    }[table]
    return [k for k in keys if k in frame.columns]
