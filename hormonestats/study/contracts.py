"""Study contracts: a YAML file naming the tables, analytes, SNPs, instruments and bounds.

``load_contract`` reads the YAML safely, checks every name against the registries (collecting
all problems before raising one :class:`~hormonestats.errors.ContractError`), and returns a frozen
:class:`Contract`. ``Contract.schemas()`` compiles it into pandera schemas of the tables; the
format is documented in ``schemas/README.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .._yaml import read_yaml
from ..errors import ContractError
from .contract_structure import structure_problems, suggest

__all__ = [
    "DESIGNS",
    "TABLES",
    "AnalyteSpec",
    "ColumnSpec",
    "Contract",
    "InstrumentSpec",
    "SnpSpec",
    "load_contract",
]

#: Tables a study may have (docs/architecture.md), in reading order.
TABLES = ("subjects", "samples", "genotypes", "responses", "treatments", "cycles")
DESIGNS = ("between", "within", "crossover", "dyadic")
_DTYPES = ("float", "int", "str", "bool", "date")


@dataclass(frozen=True)
class AnalyteSpec:
    """What a contract requires of one analyte's readings."""

    name: str
    units: tuple[str, ...]
    matrices: tuple[str, ...]
    method: str | None = None
    extracted: bool | None = None
    range: tuple[float, float] | None = None
    enforce_range: bool = False


@dataclass(frozen=True)
class SnpSpec:
    rsid: str
    strand: str = "forward"


@dataclass(frozen=True)
class InstrumentSpec:
    name: str
    key: Any = None
    max_missing: int | None = None
    endowment: float | None = None
    multiplier: float | None = None
    definition: str | None = None


@dataclass(frozen=True)
class ColumnSpec:
    """An extra column a contract adds to a table."""

    table: str
    name: str
    dtype: str = "str"
    min: float | None = None
    max: float | None = None
    values: tuple | None = None
    nullable: bool = True
    required: bool = False


@dataclass(frozen=True)
class Contract:
    """A compiled study contract (read-only). Build it with :func:`load_contract`."""

    name: str
    description: str
    design: str
    tables: Mapping[str, str | None]
    analytes: Mapping[str, AnalyteSpec]
    snps: Mapping[str, SnpSpec]
    instruments: Mapping[str, InstrumentSpec]
    agents: tuple[str, ...]
    columns: Mapping[str, Mapping[str, ColumnSpec]]
    identifiers_allowed: tuple[str, ...] = ()
    layouts: Mapping[str, tuple] = field(default_factory=dict)
    roots: Mapping[str, str] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    path: str | None = None

    def schemas(self, *, readings: bool = True) -> dict:
        """Pandera schemas of this study's tables (see :mod:`hormonestats.study.schemas`).

        ``readings=False`` leaves out the check of assay readings (validation parses them once
        itself)."""
        from .schemas import build_schemas

        return build_schemas(self, readings=readings)

    def to_dict(self) -> dict:
        """The contract as plain data (the YAML it came from, normalised)."""
        return _plain(self.raw)

    def instrument(self, name: str):
        """The instrument definition for ``name`` (a user definition or the built-in)."""
        from ..registry.instruments import get_instrument, load_instrument

        spec = self.instruments[name]
        if spec.definition is not None:
            folder = Path(self.path).parent if self.path is not None else Path(".")
            inst = load_instrument(resolve(spec.definition, folder, self.roots))
        else:
            inst = get_instrument(name)
        # the contract's options take effect in scoring and checks
        changes = {k: v for k, v in (("max_missing", spec.max_missing),
                                     ("endowment", spec.endowment),
                                     ("multiplier", spec.multiplier)) if v is not None}
        return dataclasses.replace(inst, **changes) if changes else inst


def _plain(obj):
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def _as_tuple(value) -> tuple:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(value)
    return (value,)


def load_contract(source) -> Contract:
    """Read and check a study contract.

    Parameters
    ----------
    source : str, Path or mapping
        A YAML file, or the already-parsed mapping (as a simulator builds it).

    Returns
    -------
    Contract

    Raises
    ------
    ContractError
        Listing every problem at once: unknown analyte, unit, matrix, SNP, instrument, agent,
        table, design or column type, with the allowed values.

    Examples
    --------
    >>> c = load_contract({"name": "mini", "tables": {"subjects": None, "samples": None},
    ...                    "analytes": {"cortisol": {"unit": "nmol/L", "matrix": "saliva"}}})
    >>> c.analytes["cortisol"].units
    ('nmol/L',)
    >>> load_contract({"name": "bad", "analytes": {"cortisone2": {}}})
    Traceback (most recent call last):
    ...
    hormonestats.errors.ContractError: contract 'bad': 1 problem:
      - analytes: unknown analyte 'cortisone2'; allowed analytes: oxytocin, vasopressin, ...
    """
    path = None
    if isinstance(source, Mapping):
        raw = dict(source)
    else:
        path = Path(source)
        raw = read_yaml(path, what="contract")
    where = f"contract {path.name}" if path is not None else "contract"
    todos = list(_todos(raw))
    if todos:  # an unsettled draft: every TODO named by its YAML path
        _raise(f"{where} is a draft with {len(todos)} TODO left to settle (replace each by one "
               "of the choices its comment lists)", [f"{t}: TODO" for t in todos])
    structure = structure_problems(raw)
    if structure:  # the contract's own shape first: every problem, each with its YAML path
        _raise(f"{where} is not shaped as documented in schemas/README.md", structure)
    problems: list[str] = []
    name = str(raw.get("name") or (path.stem if path else ""))
    if not name:
        problems.append("name: missing (every contract needs a name)")
    design = str(raw.get("design", "between"))
    if design not in DESIGNS:
        problems.append(f"design: {design!r} is not one of {', '.join(DESIGNS)}"
                        f"{suggest(design, DESIGNS)}")

    tables, layouts = _parse_tables(raw.get("tables"), problems)
    analytes = _parse_analytes(raw.get("analytes") or {}, problems)
    snps = _parse_snps(raw.get("snps") or {}, problems)
    roots = {str(k): str(v) for k, v in (raw.get("roots") or {}).items()} \
        if isinstance(raw.get("roots"), Mapping) else {}
    if path is not None:  # a root written relative to the contract is relative to its folder
        roots = {k: str(path.parent / v) if not Path(v).is_absolute() else v
                 for k, v in roots.items()}
    instruments = _parse_instruments(raw.get("instruments") or {}, problems, path, roots)
    agents = _parse_agents(raw.get("agents") or [], problems)
    columns = _parse_columns(raw.get("columns") or {}, problems)
    allowed_ids = tuple(str(c) for c in _as_tuple(raw.get("identifiers_allowed")))

    problems += _path_problems(tables, layouts, instruments, roots)
    if problems:
        _raise(f"contract {name!r}", problems)
    return Contract(
        name=name,
        description=str(raw.get("description", "")),
        design=design,
        tables=MappingProxyType(tables),
        analytes=MappingProxyType(analytes),
        snps=MappingProxyType(snps),
        instruments=MappingProxyType(instruments),
        agents=agents,
        columns=MappingProxyType({t: MappingProxyType(c) for t, c in columns.items()}),
        identifiers_allowed=allowed_ids,
        layouts=MappingProxyType(layouts),
        roots=MappingProxyType(roots),
        raw=MappingProxyType(dict(raw)),
        path=str(path) if path else None,
    )


def escapes(text: str, roots: Mapping[str, str]) -> str | None:
    """Why a file name of the contract would leave its folder (None when it stays inside):
    an absolute path, or ``..`` climbing out; ``ROOT:path`` names a folder of ``roots``."""
    root, sep, rest = text.partition(":")
    if sep and len(root) > 1 and root in roots:
        text = rest
    elif sep and len(root) > 1:
        return (f"names the root {root!r}, which the contract does not declare under roots "
                f"(declared: {', '.join(roots) or 'none'})")
    if Path(text).is_absolute() or text.startswith(("/", "\\")):
        return "is an absolute path"
    depth = 0
    for part in Path(text).parts:
        depth += -1 if part == ".." else 0 if part == "." else 1
        if depth < 0:
            return "climbs out of the folder with '..'"
    return None


def resolve(text: str, folder: Path, roots: Mapping[str, str]) -> Path:
    """The file a contract's name stands for: under ``folder``, or under a declared root."""
    root, sep, rest = text.partition(":")
    if sep and len(root) > 1 and root in roots:
        return Path(roots[root]) / rest
    return Path(folder) / text


def _path_problems(tables, layouts, instruments, roots) -> list[str]:
    problems = []
    named = [(f"tables.{t}", f) for t, f in tables.items() if f is not None]
    named += [(f"tables.{t}[{i}].file", s.file) for t, ss in layouts.items()
              for i, s in enumerate(ss)]
    named += [(f"instruments.{n}.key", s.key) for n, s in instruments.items()
              if isinstance(s.key, str)]
    for where, text in named:
        why = escapes(text, roots)
        if why is not None:
            problems.append(f"{where}: {text!r} {why}; files are read from the data folder "
                            "(declare another folder under roots: NAME: FOLDER, then write "
                            "NAME:file)")
    return problems


def _todos(value, path: str = ""):
    """YAML paths whose value (or key) is the draft's placeholder ``TODO``."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            where = f"{path}.{k}" if path else str(k)
            if k == "TODO":
                yield where
            yield from _todos(v, where)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _todos(v, f"{path}[{i}]")
    elif value == "TODO":
        yield path


def _raise(what: str, problems: list[str]) -> None:
    lines = "\n".join(f"  - {p}" for p in problems)
    word = "problem" if len(problems) == 1 else "problems"
    raise ContractError(f"{what}: {len(problems)} {word}:\n{lines}")


def _parse_tables(value, problems) -> tuple[dict[str, str | None], dict[str, tuple]]:
    """Table -> its (first) file, and table -> its sources (:mod:`.layouts`)."""
    from .layouts import parse_sources

    if value is None:
        return {"subjects": None}, {}
    if isinstance(value, list):
        value = {t: None for t in value}
    if not isinstance(value, Mapping):
        problems.append("tables: must be a mapping of table -> file name (or null)")
        return {}, {}
    out, layouts = {}, {}
    for table, entry in value.items():
        if table not in TABLES:
            problems.append(f"tables: unknown table {table!r}; allowed: {', '.join(TABLES)}")
            continue
        sources = parse_sources(entry)
        out[table] = sources[0].file if sources else None
        if sources and not (len(sources) == 1 and sources[0].plain
                            and isinstance(entry, str)):
            layouts[table] = sources
    if "subjects" not in out:
        problems.append("tables: every study needs a 'subjects' table (the roster)")
    return out, layouts


def _registered(value, section: str, lookup, problems):
    """(name, options, registry entry) for each entry a registry knows; others are problems."""
    if isinstance(value, list):
        value = {s: {} for s in value}
    for key, opts in (value or {}).items():
        try:
            found = lookup(key)
        except ContractError as err:
            problems.append(f"{section}: {err}")
            continue
        yield key, opts or {}, found


def _parse_analytes(value, problems) -> dict[str, AnalyteSpec]:
    from ..registry.analytes import MATRICES, get_analyte

    out = {}
    for key, opts, reg in _registered(value, "analytes", get_analyte, problems):
        units = _as_tuple(opts.get("unit")) or (reg.canonical_unit,)
        bad_units = [u for u in units if u not in reg.units]
        if bad_units:
            problems.append(
                f"analytes.{key}: unit {', '.join(map(repr, bad_units))} is not a unit of "
                f"{reg.name}; allowed: {', '.join(reg.units)}"
            )
        matrices = _as_tuple(opts.get("matrix")) or tuple(reg.matrices)
        for mtx in matrices:
            if mtx not in MATRICES:
                problems.append(
                    f"analytes.{key}: matrix {mtx!r} unknown; allowed: {', '.join(MATRICES)}"
                )
            elif mtx not in reg.matrices:
                problems.append(
                    f"analytes.{key}: {reg.name} is not measured in {mtx}; allowed: "
                    f"{', '.join(reg.matrices)}"
                )
        rng = opts.get("range")
        if rng is not None and (not isinstance(rng, list | tuple) or len(rng) != 2):
            problems.append(f"analytes.{key}: range must be [low, high], got {rng!r}")
            rng = None
        method = opts.get("method")
        if method is not None and method not in ("immunoassay", "lc_ms_ms"):
            problems.append(
                f"analytes.{key}.method: {method!r} unknown; allowed: immunoassay, lc_ms_ms"
                f"{suggest(method, ('immunoassay', 'lc_ms_ms'))}"
            )
        out[reg.name] = AnalyteSpec(
            name=reg.name,
            units=units,
            matrices=matrices,
            method=method,
            extracted=opts.get("extracted"),
            range=tuple(float(v) for v in rng) if rng else None,
            enforce_range=bool(opts.get("enforce_range", False)),
        )
    return out


def _parse_snps(value, problems) -> dict[str, SnpSpec]:
    from ..registry.snps import get_snp

    out = {}
    for rsid, opts, snp in _registered(value, "snps", get_snp, problems):
        strand = opts.get("strand", "forward")
        if strand not in ("forward", "reverse"):
            problems.append(f"snps.{rsid}.strand: expected forward or reverse, got {strand!r}"
                            f"{suggest(strand, ('forward', 'reverse'))}")
        out[snp.rsid] = SnpSpec(rsid=snp.rsid, strand=strand)
    return out


def _parse_instruments(value, problems, path, roots) -> dict[str, InstrumentSpec]:
    from ..registry.instruments import get_instrument, load_instrument

    if isinstance(value, list):
        value = {s: {} for s in value}
    out = {}
    for name, opts in value.items():
        opts = opts or {}
        definition = opts.get("definition")
        try:
            if definition is not None:
                why = escapes(str(definition), roots)
                if why is not None:
                    problems.append(f"instruments.{name}.definition: {definition!r} {why}; "
                                    "a definition sits in the contract's folder (or a folder "
                                    "declared under roots)")
                    continue
                load_instrument(resolve(str(definition), path.parent if path else Path("."),
                                        roots))
            else:
                get_instrument(name)
        except ContractError as err:
            problems.append(f"instruments: {err}")
            continue
        out[name] = InstrumentSpec(
            name=name,
            key=opts.get("key"),
            max_missing=opts.get("max_missing"),
            endowment=opts.get("endowment"),
            multiplier=opts.get("multiplier"),
            definition=str(definition) if definition is not None else None,
        )
    return out


def _parse_agents(value, problems) -> tuple[str, ...]:
    from ..registry.agents import get_agent

    out = []
    for name in _as_tuple(value):
        try:
            out.append(get_agent(name).name)
        except ContractError as err:
            problems.append(f"agents: {err}")
    return tuple(out)


def _parse_columns(value, problems) -> dict[str, dict[str, ColumnSpec]]:
    out: dict[str, dict[str, ColumnSpec]] = {}
    for table, cols in value.items():
        if table not in TABLES:
            problems.append(f"columns: unknown table {table!r}; allowed: {', '.join(TABLES)}")
            continue
        out[table] = {}
        for col, opts in (cols or {}).items():
            opts = opts or {}
            dtype = str(opts.get("dtype", "str"))
            if dtype not in _DTYPES:
                problems.append(
                    f"columns.{table}.{col}.dtype: {dtype!r} unknown; allowed: "
                    f"{', '.join(_DTYPES)}{suggest(dtype, _DTYPES)}"
                )
                continue
            values = opts.get("values")
            out[table][col] = ColumnSpec(
                table=table,
                name=str(col),
                dtype=dtype,
                min=opts.get("min"),
                max=opts.get("max"),
                values=tuple(values) if values is not None else None,
                nullable=bool(opts.get("nullable", True)),
                required=bool(opts.get("required", False)),
            )
    return out
