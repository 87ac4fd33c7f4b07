"""Draft a study contract from the data files (``hormonestats init DATA_DIR``).

:func:`draft_contract` reads every table file of a data folder (csv, xlsx, sav, parquet),
recognises the study tables (by file name, else by their columns), and writes the contract
that the data imply: the analytes with their units, matrices and assay method, the SNPs (and
their strand), the instruments (and their answer-key files), the treatment agents, the extra
columns with their types and values, and the design. What it cannot infer is written as the
value ``TODO`` with a comment that says what to decide and lists the allowed choices::

    unit: TODO  # TODO: the samples hold no unit the registry knows for oxytocin; choices: pg/mL | pmol/L | ...

A draft with a TODO left fails ``hs.load_contract`` (``TODO`` is no allowed value), so nothing
unsettled slips through; once every TODO is replaced by one of its choices, the contract
validates on the same data (``hormonestats validate contract.yaml DATA_DIR``). The format is
described in ``schemas/README.md`` and in the contract reference of the documentation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from ..errors import ContractError, DataError
from .contracts import DESIGNS, TABLES

__all__ = ["ContractDraft", "TODO", "draft_contract", "settle"]

#: The placeholder of a value the draft could not infer.
TODO = "TODO"

_READABLE = (".csv", ".xlsx", ".sav", ".parquet")
# columns that identify each table when its file is not named after it
_SIGNATURES = {
    "samples": {"analyte", "value"},
    "genotypes": {"snp", "genotype"},
    "responses": {"instrument", "item", "response"},
    "treatments": {"agent"},
    "cycles": {"event", "date"},
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY_MONTH = re.compile(r"^\d{1,2}([./-])\d{1,2}\1\d{4}$")
_LABEL_COLUMNS = ("group", "arm", "role", "sequence")  # few-valued labels worth constraining


@dataclass(frozen=True)
class ContractDraft:
    """A drafted contract: its YAML ``text`` (with comments), the ``data`` it encodes, the
    ``todos`` left to settle, the table files found and the files left out (with why)."""

    text: str
    data: Mapping = field(repr=False)
    todos: tuple[str, ...]
    tables: Mapping[str, str]
    ignored: Mapping[str, str]

    def summary(self) -> str:
        """What was found and what is left to settle, as plain text."""
        lines = [f"Contract draft {self.data['name']!r} (design {self.data.get('design')}):"]
        lines += [f"  table {t}: {f}" for t, f in self.tables.items()]
        for name in ("analytes", "snps", "instruments", "agents"):
            if self.data.get(name):
                lines.append(f"  {name}: {', '.join(map(str, self.data[name]))}")
        lines += [f"  not a study table: {f} ({why})" for f, why in self.ignored.items()]
        if self.todos:
            lines.append(f"{len(self.todos)} TODO to settle (replace TODO by one of the choices):")
            lines += [f"  - {t}" for t in self.todos]
        else:
            lines.append("Nothing left to settle; check the draft, then validate it.")
        return "\n".join(lines)


class _Writer:
    """YAML lines with end-of-line comments (yaml.safe_dump cannot write comments)."""

    def __init__(self):
        self.lines: list[str] = []
        self.todos: list[str] = []

    @staticmethod
    def scalar(value) -> str:
        return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix(
            "\n..."
        ).removesuffix("...").strip()

    def put(self, indent: int, key, value=None, comment: str = "", *, block: bool = False):
        text = " " * indent + f"{self.scalar(key)}:"
        if not block:
            text += f" {self.scalar(value)}"
        if comment:
            text += f"  # {comment}"
        self.lines.append(text)

    def todo(self, indent: int, key, question: str, choices):
        choices = [self.scalar(c) for c in choices]
        self.todos.append(f"{key}: {question}")
        self.put(indent, key, TODO, f"TODO: {question}; choices: {' | '.join(choices)}")

    def comment(self, text: str, indent: int = 0):
        self.lines.append(" " * indent + f"# {text}")


def _raw_frames(path: Path) -> list[tuple[str | None, pd.DataFrame]]:
    """The frames of a file as written: one, or one per visible sheet of a workbook."""
    from .files import read_file

    if path.suffix.lower() != ".xlsx":
        return [(None, read_file(path, path.stem)[0])]
    from .excel import sheet_names
    from .layouts import Source

    visible = [n for n, state in sheet_names(path) if state == "visible"]
    return [(n if len(visible) > 1 else None,
             read_file(path, path.stem, Source(file=path.name, sheet=n))[0]) for n in visible]


def _long(table: str, raw: pd.DataFrame) -> bool:
    """True when a file holds the long table itself (its required columns by their names)."""
    from .table_columns import BASE_COLUMNS

    return {c.name for c in BASE_COLUMNS[table] if c.required} <= set(map(str, raw.columns))


def _proposals(folder: Path) -> tuple[list, dict[str, str]]:
    from .draft_layouts import Proposal, propose
    from .reading import read_table

    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in _READABLE)
    out, ignored = [], {}
    for path in files:
        try:
            raws = _raw_frames(path)
        except DataError as err:
            ignored[path.name] = f"unreadable: {err}"
            continue
        for sheet, raw in raws:
            label = path.name if sheet is None else f"{path.name}!{sheet}"
            if {"item", "correct"} <= set(raw.columns):
                ignored[label] = "an answer key (item, correct)"
                continue
            if path.stem in TABLES and sheet is None and _long(path.stem, raw) and not any(
                    p.table == path.stem for p in out):
                frame = read_table(path, table=path.stem)
                out.append(Proposal(path.name, path.stem, {}, frame, raw))
                continue
            proposal = propose(path, raw, sheet)
            if proposal is None:
                ignored[label] = "not a study table (no participant ID column recognised)"
            else:
                out.append(proposal)
    return out, ignored


def _roster(proposals) -> tuple[object, object]:
    """The roster proposal and the file entry to write (a Guess when chosen by uniqueness)."""
    from .draft_layouts import Guess

    def unique(p):
        ids = p.frame["subject_id"] if "subject_id" in p.frame.columns else None
        return ids is not None and ids.notna().all() and ids.is_unique

    named = [p for p in proposals if p.table == "subjects" and not p.source]
    if named:
        return named[0], named[0].file
    candidates = [p for p in proposals if unique(p)]
    candidates.sort(key=lambda p: (p.table != "subjects",
                                   -len({"sex", "age"} & set(p.frame.columns)), p.file))
    if not candidates or candidates[0].table != "subjects":
        return None, None
    choice = candidates[0]
    if choice.sheet is not None:
        return choice, ("sheet", Guess("which sheet is the roster (one row per participant)?",
                                       tuple(c.sheet for c in candidates
                                             if c.file == choice.file and c.sheet)))
    return choice, ("file", Guess("which file is the roster (one row per participant)?",
                                  tuple(c.file for c in candidates)))


def _find_tables(folder: Path):
    """Table -> its proposals (sources), table -> its long frame, files left out."""
    proposals, ignored = _proposals(folder)
    roster, entry = _roster(proposals)
    if roster is None:
        raise DataError(
            f"{folder.name}: no subjects table found (a file subjects.csv/.xlsx/.sav/.parquet, "
            "or a table with a participant ID column and one row per participant)"
        )
    found: dict[str, list] = {"subjects": [roster]}
    for p in proposals:
        if p is roster:
            continue
        if p.table == "subjects" or (found.get(p.table) and not p.source):
            ignored[p.file] = "a second table of its kind"
            continue
        found.setdefault(p.table, []).append(p)
    if entry is not None and not isinstance(entry, str):
        if entry[0] == "file":
            roster.source["file"] = entry[1]
        else:
            roster.source.update(file=roster.file, sheet=entry[1])
    order = [t for t in TABLES if t in found]
    frames = {t: pd.concat([p.frame for p in found[t]], ignore_index=True) for t in order}
    return {t: found[t] for t in order}, frames, ignored


def _unique(frame: pd.DataFrame, column: str) -> list:
    if column not in frame.columns:
        return []
    return list(dict.fromkeys(v for v in frame[column].dropna().tolist()))


def _subject_rows(samples: pd.DataFrame) -> pd.DataFrame:
    if "sample_type" in samples.columns:
        return samples[samples["sample_type"].astype(str) != "control"]
    return samples


def _analytes(w: _Writer, samples: pd.DataFrame) -> list[str]:
    from ..registry.analytes import ANALYTES, MATRICES, get_analyte

    w.put(0, "analytes", block=True)
    names = []
    for raw in _unique(samples, "analyte"):
        rows = samples[samples["analyte"] == raw]
        try:
            reg = get_analyte(str(raw))
        except ContractError:
            w.todo(2, str(raw), f"{raw!r} is not a registered analyte: rename it in the samples "
                   "table to a registered name, or drop its rows", sorted(ANALYTES))
            continue
        names.append(reg.name)
        note = "" if str(raw) == reg.name else f"the data write {raw!r}"
        w.put(2, reg.name, block=True, comment=note)
        units = [str(u) for u in _unique(rows, "unit")]
        bad = [u for u in units if u not in reg.units]
        if not units or bad:
            w.todo(4, "unit", f"unit(s) {bad or 'none'} of {reg.name} not in the registry: "
                   "convert the values or fix the unit column", reg.units)
        else:
            w.put(4, "unit", units[0] if len(units) == 1 else units)
        matrices = [str(m) for m in _unique(rows, "matrix")]
        bad = [m for m in matrices if m not in reg.matrices]
        if not matrices or bad:
            w.todo(4, "matrix", f"matrix {bad or 'none'} not allowed for {reg.name}",
                   [m for m in reg.matrices if m in MATRICES])
        else:
            w.put(4, "matrix", matrices[0] if len(matrices) == 1 else matrices)
        methods = [str(m) for m in _unique(rows, "method")]
        if len(methods) == 1 and methods[0] in ("immunoassay", "lc_ms_ms"):
            w.put(4, "method", methods[0])
        extracted = _unique(rows, "extracted")
        if len(extracted) == 1 and str(extracted[0]).lower() in ("true", "false"):
            w.put(4, "extracted", str(extracted[0]).lower() == "true")
    return names


def _snps(w: _Writer, genotypes: pd.DataFrame) -> list[str]:
    from ..registry.snps import SNPS, get_snp

    w.put(0, "snps", block=True)
    names = []
    complement = str.maketrans("ACGT", "TGCA")
    for raw in _unique(genotypes, "snp"):
        try:
            snp = get_snp(str(raw))
        except ContractError:
            w.todo(2, str(raw), f"{raw!r} is not in the SNP registry: drop its rows or rename it",
                   sorted(SNPS))
            continue
        names.append(snp.rsid)
        calls = genotypes.loc[genotypes["snp"] == raw, "genotype"].dropna().astype(str)
        letters = set("".join(calls).upper()) & set("ACGT")
        if letters and not letters & set(snp.alleles) and \
                letters <= {a.translate(complement) for a in snp.alleles}:
            w.put(2, snp.rsid, {"strand": "reverse"},
                  f"alleles {''.join(sorted(letters))} are the complement of "
                  f"{'/'.join(snp.alleles)}: calls on the reverse strand")
        else:
            w.put(2, snp.rsid, {}, f"{snp.gene}; alleles {'/'.join(snp.alleles)}")
    return names


def _instruments(w: _Writer, responses: pd.DataFrame, folder: Path) -> list[str]:
    from ..registry.instruments import get_instrument

    w.put(0, "instruments", block=True)
    w.comment("key: an answer-key file in the DATA folder (columns item, correct); "
              "definition: a user instrument's YAML file BESIDE this contract", 2)
    names = []
    for raw in _unique(responses, "instrument"):
        name = str(raw)
        rows = responses[responses["instrument"] == raw]
        items = [str(i) for i in _unique(rows, "item")]
        try:
            inst = get_instrument(name)
        except ContractError:
            values = pd.to_numeric(rows["response"], errors="coerce")
            w.put(2, name, block=True)
            w.todo(4, "definition", f"{name!r} is not a built-in instrument: write its "
                   f"definition (items {', '.join(items[:6])}{'...' if len(items) > 6 else ''}; "
                   f"responses seen {values.min():g} to {values.max():g}) in a YAML file beside "
                   "the contract (format: the instrument reference)", [f"{name}.yaml"])
            names.append(name)
            continue
        names.append(inst.name)
        item_level = [i for i in items if i.lower() != "total"]
        if inst.needs_key and item_level:
            keys = sorted(p.name for p in folder.iterdir() if p.is_file()
                          and p.suffix.lower() in _READABLE and "key" in p.stem.lower()
                          and inst.name in p.stem.lower())
            if keys:
                w.put(2, inst.name, {"key": keys[0]}, "answer key found in the data folder")
            else:
                w.put(2, inst.name, block=True)
                w.todo(4, "key", f"{inst.name} is scored against an answer key: save it in the "
                       "data folder as a table with columns item, correct",
                       [f"{inst.name}_key.csv"])
        elif inst.max_missing:
            w.put(2, inst.name, {"max_missing": int(inst.max_missing)},
                  "items a scale may miss and still be prorated (the definition's default)")
        else:
            w.put(2, inst.name, {}, "task totals" if not item_level else "")
    return names


def _agents(w: _Writer, treatments: pd.DataFrame) -> list[str]:
    from ..registry.agents import AGENTS, get_agent

    names, unknown = [], []
    for raw in _unique(treatments, "agent"):
        try:
            names.append(get_agent(str(raw)).name)
        except ContractError:
            unknown.append(str(raw))
    if unknown:
        w.todo(0, "agents", f"agent(s) {unknown} are not in the vocabulary: rename them in the "
               "treatments table; found valid: " + (", ".join(names) or "none"),
               [names, sorted(AGENTS)])
    else:
        w.put(0, "agents", names)
    return names


def _dtype(series: pd.Series) -> str:
    s = series.dropna()
    if pd.api.types.is_bool_dtype(s):
        return "bool"
    if pd.api.types.is_integer_dtype(s):
        return "int"
    if pd.api.types.is_numeric_dtype(s):
        return "float"
    text = s.astype(str)
    if len(text) and text.map(lambda v: bool(_DATE.match(v) or _DAY_MONTH.match(v))).all():
        return "date"
    if len(text) and text.str.lower().isin(["true", "false"]).all():
        return "bool"
    return "str"


def _columns(w: _Writer, frames: Mapping[str, pd.DataFrame]) -> None:
    from .table_columns import BASE_COLUMNS

    entries = []
    for table, frame in frames.items():
        base = {c.name: c for c in BASE_COLUMNS.get(table, ())}
        cols = []
        for col in frame.columns:
            if col in base and not (table == "subjects" and col in _LABEL_COLUMNS
                                    and base[col].values is None):
                continue
            dtype = _dtype(frame[col])
            spec: dict = {"dtype": dtype}
            values = _unique(frame, col)
            if dtype == "str" and col in _LABEL_COLUMNS and 1 < len(values) <= 12:
                spec["values"] = sorted(map(str, values))
            cols.append((col, spec))
        if cols:
            entries.append((table, cols))
    if not entries:
        return
    w.put(0, "columns", block=True)
    w.comment("extra columns per table, with the type read from the data (add min/max bounds)", 2)
    for table, cols in entries:
        w.put(2, table, block=True)
        for col, spec in cols:
            w.put(4, col, spec)


def _design(frames: Mapping[str, pd.DataFrame]) -> tuple[str | None, str]:
    subjects = frames["subjects"]
    if "dyad_id" in subjects.columns and subjects["dyad_id"].notna().any():
        return "dyadic", "subjects have a dyad_id"
    treatments = frames.get("treatments")
    if "sequence" in subjects.columns:
        return "crossover", "subjects have a sequence"
    if treatments is not None and "session" in treatments.columns:
        per = treatments.groupby("subject_id")["agent"].nunique()
        if len(per) and (per > 1).mean() > 0.5:
            return "crossover", "most subjects received more than one agent, one per session"
    if "cycles" in frames:
        return "within", "a cycles table (repeated visits across the menstrual cycle)"
    sessions = []
    for name in ("samples", "responses"):
        frame = frames.get(name)
        if frame is not None and "session" in frame.columns:
            rows = _subject_rows(frame) if name == "samples" else frame
            sessions.append(rows.groupby("subject_id")["session"].nunique().median())
    if sessions and max(sessions) > 1:
        return None, "several sessions per subject, but no cycles table or crossover sequence"
    return "between", "one session per subject"


def _identifiers(w: _Writer, frames: Mapping[str, pd.DataFrame]) -> None:
    from .identifiers import identifier_kind

    found = [str(col) for frame in frames.values() for col in frame.columns
             if identifier_kind(col, frame[col]) is not None]
    if found:
        w.todo(0, "identifiers_allowed", f"column(s) {found} look like direct identifiers: "
               "remove them from the data (then []) or keep them deliberately", [[], found])


def _write_value(w: _Writer, indent: int, key, value) -> None:
    from .draft_layouts import Guess

    if isinstance(value, Guess):
        w.todo(indent, key, value.question, value.choices)
    elif isinstance(value, dict) and any(isinstance(v, Guess) for v in value.values()):
        w.put(indent, key, block=True)
        for k, v in value.items():
            _write_value(w, indent + 2, k, v)
    else:
        w.put(indent, key, value)


_SOURCE_ORDER = ("file", "sheet", "columns", "codes", "wide", "set", "dates")


def _write_tables(w: _Writer, found) -> None:
    """The tables section: a file name for a long table, else its sources (TODO where
    guessed)."""
    w.put(0, "tables", block=True)
    w.comment("each table: its file, or its sources (file, columns: file column -> standard "
              "column, codes, wide: one row per matching column, set: columns every row shares)",
              2)
    for table, proposals in found.items():
        if len(proposals) == 1 and not proposals[0].source:
            w.put(2, table, proposals[0].file)
            continue
        w.put(2, table, block=True)
        listed = len(proposals) > 1
        for p in proposals:
            source = {"file": p.file, **p.source} if "file" not in p.source else p.source
            indent = 6 if listed else 4
            first = len(w.lines)
            for key in sorted(source, key=_SOURCE_ORDER.index):
                _write_value(w, indent, key, source[key])
            if listed:
                w.lines[first] = " " * 4 + "- " + w.lines[first][6:]


def draft_contract(data_dir, *, name: str | None = None, contract_dir=None) -> ContractDraft:
    """Draft the study contract the files of ``data_dir`` imply.

    Parameters
    ----------
    data_dir : str or Path
        The folder holding the study's table files.
    name : str, optional
        The study name (default: the folder's name).
    contract_dir : str or Path, optional
        Where the contract will be written; table file names are relative to ``data_dir``,
        user instrument definitions to this folder (default: ``data_dir``).

    Returns
    -------
    ContractDraft
        ``.text`` is the YAML to write; values it could not infer are ``TODO`` with the
        choices in a comment (``.todos`` lists them).

    Raises
    ------
    DataError
        If the folder does not exist, has no subjects table, or a study table is unreadable.

    Examples
    --------
    >>> from hormonestats.datasets import dataset_path
    >>> draft = draft_contract(dataset_path("tsst_study"))
    >>> draft.data["design"], list(draft.data["analytes"]), draft.todos
    ('between', ['cortisol'], ())
    """
    folder = Path(data_dir)
    if not folder.is_dir():
        raise DataError(f"data folder not found: {folder}")
    files, frames, ignored = _find_tables(folder)
    study = name or folder.resolve().name
    w = _Writer()
    w.comment(f"Study contract drafted by `hormonestats init` from the files of {folder.name}/.")
    w.comment("Check every line. A value TODO could not be inferred: replace it by one of the")
    w.comment("choices in its comment, then run `hormonestats validate CONTRACT DATA_DIR`.")
    w.put(0, "name", study)
    w.put(0, "description", f"Drafted from the data in {folder.name}; describe the study here.")
    design, why = _design(frames)
    if design is None:
        w.todo(0, "design", why, DESIGNS)
    else:
        w.put(0, "design", design, f"inferred: {why}; choices: {' | '.join(DESIGNS)}")
    _write_tables(w, files)
    data_names: dict[str, list] = {}
    if "samples" in frames:
        data_names["analytes"] = _analytes(w, _subject_rows(frames["samples"]))
    if "genotypes" in frames:
        data_names["snps"] = _snps(w, frames["genotypes"])
    if "responses" in frames:
        data_names["instruments"] = _instruments(w, frames["responses"], folder)
    if "treatments" in frames:
        data_names["agents"] = _agents(w, frames["treatments"])
    _columns(w, frames)
    _identifiers(w, frames)
    text = "\n".join(w.lines) + "\n"
    data = yaml.safe_load(text)
    return ContractDraft(text=text, data=data, todos=tuple(w.todos),
                         tables={t: ", ".join(p.file for p in ps) for t, ps in files.items()},
                         ignored=ignored)


_TODO_LINE = re.compile(r"^(?P<head>\s*[^#\n]+?:) TODO  # TODO: (?P<q>.*); choices: (?P<c>.*)$")


def settle(text: str, choose=None) -> str:
    """Replace every ``TODO`` of a draft by a choice: ``choose(key, question, choices)``
    returns the YAML of the value (default: the first choice). Used by tests and scripts."""
    out = []
    for line in text.splitlines():
        m = _TODO_LINE.match(line)
        if m:
            choices = [c.strip() for c in m["c"].split(" | ")]
            key = m["head"].strip().rstrip(":")
            value = choose(key, m["q"], choices) if choose else choices[0]
            line = f"{m['head']} {value}"
        out.append(line)
    return "\n".join(out) + "\n"
