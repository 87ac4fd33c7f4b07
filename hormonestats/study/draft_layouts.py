"""What ``hormonestats init`` makes of a lab's own files: one table layout per file.

Each file (or visible sheet of a workbook) is read as it is written (dialect detected) and
recognised by its columns: standard column names (the long tables, read as they are), the
names labs give them (``ParticipantID``, ``Gender``, ``Plate``, ``SampleNo``, ``Conc_pg_mL``),
one column per SNP (``rs53576``), one column per item (``IRI_01 .. IRI_28``), one column per
analyte with its unit in the name (``Cortisol_nmol_L``). The roster is the table with one row
per participant; codes the registries do not know (``F``/``M``, ``OT``/``PL``,
``Undetermined``) are given a meaning. Everything guessed rather than read is a :class:`Guess`:
the draft writes it as ``TODO`` with the choices, its best guess first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import DataError

__all__ = ["Guess", "Proposal", "propose"]

#: Lab names of the standard columns (compared lower-case, letters and digits only).
SYNONYMS = {
    "subject_id": ("subjectid", "subject", "participantid", "participant", "pid", "subj",
                   "subjid", "probandid", "proband", "vp", "vpn", "vpnr", "code", "id"),
    "sex": ("sex", "gender", "geschlecht"),
    "age": ("age", "ageyears", "alter"),
    "plate_id": ("plate", "plateid", "plateno", "platenumber"),
    "sample_id": ("sampleid",),
    "sample_number": ("sampleno", "samplenumber", "samplenr", "sample"),
    "session": ("session", "visit", "day", "timepoint"),
    "sample_type": ("type", "sampletype"),
    "analyte": ("analyte", "hormone", "assay"),
    "value": ("value", "conc", "concentration", "result"),
    "unit": ("unit", "units"),
    "replicate": ("replicate", "rep", "well_replicate"),
    "lod": ("lod", "detectionlimit"),
    "extracted": ("extracted", "extraction"),
    "matrix": ("matrix", "specimen"),
    "sample_time": ("sampletime", "time", "clocktime"),
    "wake_time": ("waketime", "wake", "awakening"),
    "agent": ("agent", "condition", "treatment", "drug", "substance"),
    "dose": ("dose",),
    "dose_unit": ("doseunit",),
    "route": ("route",),
    "start": ("start", "starttime", "dosetime", "administration"),
    "stop": ("stop", "stoptime", "end"),
    "device": ("device",),
    "interval_min": ("intervalmin", "interval"),
    "arm": ("arm",),
    "group": ("group",),
    "ancestry": ("ancestry", "ethnicity"),
    "contraception": ("contraception", "contraceptive", "hc"),
    "dyad_id": ("dyad", "dyadid", "couple", "coupleid"),
    "role": ("role",),
    "genotype": ("genotype", "call"),
    "snp": ("snp", "rsid", "marker", "assayid"),
    "instrument": ("instrument", "questionnaire", "scale"),
    "item": ("item",),
    "response": ("response", "answer", "score"),
    "date": ("date",),
    "event": ("event",),
}
_LOOKUP = {s: col for col, names in SYNONYMS.items() for s in names}
_SNP = re.compile(r"^rs\d+$", re.IGNORECASE)
_ITEM = re.compile(r"^(?P<prefix>[A-Za-z][A-Za-z0-9]*?)(?P<sep>[_ .-]?)(?P<num>\d+)$")
_UNIT_NAME = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9]*)[_ ](?P<unit>[a-zA-Zµ]+[_/][a-zA-Z]+)$")
_NO_CALL_WORDS = ("undetermined", "nocall", "no call", "failed", "invalid", "noamp")
_SEX_CODES = {"f": "female", "w": "female", "m": "male", "1": None, "2": None}


@dataclass(frozen=True)
class Guess:
    """A value the draft guessed: written as TODO with ``choices`` (best guess first)."""

    question: str
    choices: tuple


@dataclass
class Proposal:
    """One file's reading as a study table: the table, the source's entries (values may be
    :class:`Guess`), the long frame it gives under the best guesses, and its row count."""

    file: str
    table: str
    source: dict
    frame: pd.DataFrame
    raw: pd.DataFrame = field(repr=False)
    sheet: str | None = None


def _key(name) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def standard_name(name) -> str | None:
    """The standard column a lab's column name stands for, or None."""
    return _LOOKUP.get(_key(name))


def _item_groups(columns) -> dict[tuple[str, str], list[str]]:
    groups: dict[tuple[str, str], list[str]] = {}
    for c in columns:
        m = _ITEM.match(str(c))
        if m and not _SNP.match(str(c)):
            groups.setdefault((m["prefix"], m["sep"]), []).append(str(c))
    return {k: v for k, v in groups.items() if len(v) >= 3}


def _instrument_guess(prefix: str, n_items: int):
    from ..registry.instruments import INSTRUMENTS
    from ..registry.normalise import canonical_code

    found = canonical_code("instrument", prefix)
    if found is not None:
        return found
    ranked = sorted(INSTRUMENTS, key=lambda k: (len(INSTRUMENTS[k].items) != n_items,
                                                not k.startswith(prefix.lower()), k))
    return Guess(f"which instrument are the {n_items} columns {prefix}..?", tuple(ranked))


def _analyte_columns(columns) -> dict[str, str]:
    """Columns named ``<analyte>_<unit>`` (``Cortisol_nmol_L``) or ``Conc_pg_mL``."""
    from ..registry.normalise import canonical_code

    out = {}
    for c in columns:
        m = _UNIT_NAME.match(str(c))
        if m and canonical_code("unit", m["unit"]) is not None:
            if canonical_code("analyte", m["head"]) is not None:
                out[str(c)] = "analyte"
            elif standard_name(m["head"]) == "value":
                out[str(c)] = "value"
    return out


def _codes(table: str, column: str, values) -> Guess | None:
    """Codes of a column the registries do not know, with the meanings guessed."""
    from ..registry.agents import AGENTS
    from ..registry.normalise import canonical_code

    distinct = [v for v in pd.unique(values.dropna()) if isinstance(v, str | int | float)]
    if not distinct or len(distinct) > 12:
        return None
    if column == "sex":
        unknown = [v for v in distinct if canonical_code("sex", str(v)) is None]
        if not unknown:
            return None
        guess = {str(v): _SEX_CODES.get(str(v).strip().lower()) for v in unknown}
        return Guess(f"what do the codes {', '.join(map(str, unknown))} of column sex mean?",
                     (guess, {k: v for k, v in zip(guess, reversed(list(guess.values())))}))
    if column == "agent":
        unknown = [v for v in distinct if canonical_code("agent", str(v)) is None]
        if not unknown:
            return None
        guess = {}
        for v in distinct:
            known = canonical_code("agent", str(v))
            guess[str(v)] = known or next(
                (a for a in AGENTS if a.startswith(str(v).strip().lower()[:2])), None)
        return Guess(f"which agents are the codes {', '.join(map(str, distinct))}?",
                     (guess,))
    if column == "genotype":
        words = [v for v in distinct if str(v).strip().lower() in _NO_CALL_WORDS]
        if words:
            return Guess(f"are {', '.join(map(str, words))} no-calls (missing genotypes)?",
                         ({str(w): None for w in words},))
    return None


_ID_VALUE = re.compile(r"^[A-Za-z]{0,4}[-_]?\d{1,6}$")


def _id_like(values: pd.Series) -> bool:
    """True when every value looks like a participant code (``S001``, ``P-12``, ``0042``)."""
    s = values.dropna()
    if len(s) < 2 or len(s) != len(values) or pd.api.types.is_float_dtype(s):
        return False
    text = s.astype(str).str.strip()
    return bool(text.str.fullmatch(_ID_VALUE.pattern).all()) and text.nunique() > 1


def _layout(raw: pd.DataFrame) -> tuple[str | None, dict]:
    """The table a raw frame is, and its source entries (values may be Guesses)."""
    from ..registry.normalise import canonical_code

    header = [str(c) for c in raw.columns]
    named = {c: standard_name(c) for c in header}
    for c, std in named.items():  # an agent column names at least one agent the registry knows
        if std == "agent" and not any(canonical_code("agent", str(v)) is not None
                                      for v in pd.unique(raw[c].dropna())[:50]):
            named[c] = "arm"
    id_choices = []
    if "subject_id" not in named.values():  # the participant ID by its values
        id_choices = [c for c in header if named[c] is None and _id_like(raw[c])]
        if id_choices:
            named[id_choices[0]] = "subject_id"
    snps = [c for c in header if _SNP.match(c)]
    items = _item_groups(header)
    analytes = _analyte_columns(header)
    source: dict = {}
    taken = set()
    if snps:
        table = "genotypes"
        source["wide"] = {"columns": "(?P<snp>rs\\d+)", "values": "genotype"}
        taken.update(snps)
    elif items:
        table = "responses"
        (prefix, sep), cols = max(items.items(), key=lambda kv: len(kv[1]))
        source["wide"] = {"columns": f"{re.escape(prefix)}{re.escape(sep)}(?P<item>\\d+)",
                          "values": "response"}
        source["set"] = {"instrument": _instrument_guess(prefix, len(cols))}
        if not any(v == "session" for v in named.values()):
            source["set"]["session"] = "test"
        taken.update(cols)
    elif analytes:
        table = "samples"
        cols = list(analytes)
        if analytes[cols[0]] == "analyte":
            heads = "|".join(sorted({re.escape(_UNIT_NAME.match(c)["head"]) for c in cols}))
            source["wide"] = {"columns": f"(?P<analyte>{heads})_(?P<unit>[A-Za-z]+_[A-Za-z]+)",
                              "values": "value"}
        else:
            head = _UNIT_NAME.match(cols[0])["head"]
            source["wide"] = {"columns": f"{re.escape(head)}_(?P<unit>[A-Za-z]+_[A-Za-z]+)",
                              "values": "value"}
        taken.update(cols)
    elif "analyte" in named.values() and "value" in named.values():
        table = "samples"
    elif "agent" in named.values():
        table = "treatments"
    elif "event" in named.values() and "date" in named.values():
        table = "cycles"
    elif "subject_id" in named.values():
        table = "subjects"
    else:
        return None, {}
    from .table_columns import BASE_COLUMNS

    base = {c.name for c in BASE_COLUMNS[table]}
    columns = {}
    for c in header:
        std = "arm" if table == "subjects" and named[c] == "agent" else named[c]
        if c in taken or std is None or std == c or std not in base or std in header \
                or std in columns.values():
            continue
        columns[c] = std
    if len(id_choices) > 1 or (id_choices and columns):
        rest = {c: v for c, v in columns.items() if v != "subject_id"}
        source["columns"] = Guess(
            "which column is the participant ID (chosen by its values)?",
            tuple({c: "subject_id", **{k: v for k, v in rest.items() if k != c}}
                  for c in id_choices))
    elif columns:
        source["columns"] = columns
    if table == "samples" and "matrix" not in named.values():
        source.setdefault("set", {})["matrix"] = Guess(
            "which matrix were the samples taken from?",
            ("saliva", "plasma", "serum", "urine", "hair"))
    return table, source


def _apply(raw: pd.DataFrame, source: dict, table: str, file: str) -> pd.DataFrame:
    """The long frame a source gives under its best guesses."""
    from .layouts import apply_layout, parse_sources
    from .sources import finish

    chosen = _best(source)
    chosen["file"] = file
    src = parse_sources(chosen)[0]
    frame, rows, _, _ = apply_layout(raw, src, table)
    try:
        frame, _ = finish(table, frame, rows, where=file)
    except DataError:
        pass  # dates to declare: the draft asks (see drafting)
    return frame


def _best(value):
    if isinstance(value, Guess):
        return _best(value.choices[0])
    if isinstance(value, dict):
        return {k: _best(v) for k, v in value.items()}
    return value


def _raw_values(raw: pd.DataFrame, source: dict, column: str) -> pd.Series | None:
    """The values of a standard column as the file writes them (before any normalising)."""
    from .layouts import Source, wide_columns

    wide = source.get("wide")
    if wide and wide.get("values") == column:
        cols = list(wide_columns(Source(file="", wide=(wide["columns"], column)), raw.columns))
        return pd.Series(raw[cols].to_numpy().ravel())
    inverse = {v: k for k, v in (_best(source.get("columns")) or {}).items()}
    name = inverse.get(column, column)
    return raw[name] if name in raw.columns else None


def propose(path: Path, raw: pd.DataFrame, sheet: str | None = None) -> Proposal | None:
    """The table one file is, its source entries and the long frame; None if no study table."""
    table, source = _layout(raw)
    if table is None:
        return None
    name = path.name
    probe = _apply(raw, source, table, name)
    for column in ("sex", "agent", "genotype"):
        values = _raw_values(raw, source, column)
        if values is not None:
            guess = _codes(table, column, values)
            if guess is not None:
                source.setdefault("codes", {})[column] = guess
    frame = _apply(raw, source, table, name) if source.get("codes") else probe
    if sheet is not None:
        source["sheet"] = sheet
    return Proposal(file=name, table=table, source=source, frame=frame, raw=raw, sheet=sheet)
