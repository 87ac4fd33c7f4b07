"""MkDocs hook: the reference pages generated at build time from the package itself.

Nothing here is written by hand, so the pages cannot drift from the code:

* ``reference/contract.md``: the contract format, from :mod:`hormonestats.study.contracts`
  (top-level keys, designs, tables, the option dataclasses) and the base columns of every table
  (:data:`hormonestats.study.schemas.BASE_COLUMNS`), with the example study's contract;
* ``reference/analytes.md``, ``snps.md``, ``instruments.md``, ``agents.md``: the registries
  (``hs.ANALYTES``, ``hs.SNPS``, ``hs.INSTRUMENTS``, ``hs.AGENTS``);
* ``reference/cli.md``: every command, argument and option of the typer app;
* ``reference/glossary.md``: the report column glossary;
* ``api/*.md``: one page per stage with every public name of ``hs`` (mkdocstrings renders the
  numpydoc docstrings);
* the notebooks of ``notebooks/`` as pages with their outputs: each is run in a fresh kernel
  in a scratch folder at build time (mkdocs-jupyter then only converts it).
"""

from __future__ import annotations

import dataclasses
import inspect
import tempfile
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
#: scratch folders holding the executed notebooks of a build (removed after it)
_SCRATCH: list[tempfile.TemporaryDirectory] = []

STAGES = {
    "registry": "Registries: analytes, units, SNPs, agents, instruments",
    "study": "Study: contracts, reading, validation",
    "datasets": "Bundled datasets",
    "derive": "Derive: assays, cortisol, cycle, genotypes, reliability, processing",
    "models": "Models and hypotheses",
    "simulate": "Simulation and power",
    "report": "Report: tables, figures, methods text, manifest",
    "workflows": "Workflows: whole-study runs, multiverse, sensitivity",
    "results": "Result protocol and options",
    "options": "Result protocol and options",
    "errors": "Errors and logs",
    "log": "Errors and logs",
}


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _list(values) -> str:
    return ", ".join(f"`{v}`" for v in values) if values else ""


# --------------------------------------------------------------------------- contract
_FIELD_KEYS = {"units": "unit", "matrices": "matrix"}  # dataclass field -> YAML key
_TOP_HELP = {  # a key the module adds without an entry here is still listed
    "name": "The study's name (required).",
    "description": "One line about the study.",
    "design": "The study design (below).",
    "tables": "The tables the study has and their files.",
    "analytes": "Analyte -> unit(s), matrix/matrices, method, bounds (see the analytes page).",
    "snps": "rsID -> options (see the SNPs page).",
    "instruments": "Instrument -> options: answer key, prorating, own definition.",
    "agents": "Treatment agents the study may record (see the agents page).",
    "columns": "Extra columns per table, with type and bounds.",
    "identifiers_allowed": "Columns that look like direct identifiers but are permitted.",
    "roots": "Other folders the contract may read files from, by name (`NAME:file`).",
}
_SOURCE_HELP = {  # the options of one table source (hormonestats.study.layouts)
    "file": "The file, in the data folder (or `ROOT:file` under a declared root).",
    "sheet": "The workbook's sheet (default: the first visible one; hidden sheets are never "
             "read unless named).",
    "columns": "File column -> standard column (`ParticipantID: subject_id`).",
    "codes": "Standard column -> {code: meaning} (`sex: {F: female, M: male}`; null = missing).",
    "set": "Columns every row of the source shares (`instrument: iri`, `matrix: saliva`).",
    "wide": "`{columns: PATTERN, values: COLUMN}`: every file column whose name matches the "
            "pattern becomes one row; its named groups (`(?P<item>\\d+)`) are columns.",
    "skip": "File columns not read into the table.",
    "separator": "`,` `;` tab or `|` (detected when not given).",
    "decimal": "`.` or `,` (detected when not given).",
    "thousands": "`,` `.` space `'` or empty (detected when written with both marks).",
    "encoding": "e.g. `utf-8`, `utf-16`, `cp1252` (detected: BOM, UTF-8, else Windows-1252).",
    "dates": "Column -> format (`start: '%d.%m.%Y %H:%M'`); inferred from all values when "
             "not given, an undecidable column refused.",
}


def _option_rows(options, cls, skip=("name", "rsid", "table")):
    """(option, accepts, default) for every option the contract schema knows."""
    defaults = {}
    for f in dataclasses.fields(cls):
        if f.name not in skip:
            defaults[_FIELD_KEYS.get(f.name, f.name)] = (
                f.default if f.default is not dataclasses.MISSING else
                "(from the registry)" if f.name in ("units", "matrices") else "")
    from hormonestats.study.contract_structure import accepts

    return [(f"`{key}`", accepts(check), _cell(defaults.get(key, "")))
            for key, check in options.items()]


def _source_options():
    from hormonestats.study.layouts import SOURCE_OPTIONS

    return SOURCE_OPTIONS


def contract_page() -> str:
    from hormonestats.study import contract_structure as structure
    from hormonestats.study import contracts, schemas

    top = list(structure.TOP_LEVEL)
    out = ["# Contract reference\n",
           "Generated at build time from the contract schema that checks every contract "
           "(`hormonestats.study.contract_structure`) and from `hormonestats.study.schemas`, so "
           "it cannot drift from what the package accepts: an unknown key is an error with the "
           "closest valid key suggested. A study contract is a YAML file; "
           "`hs.load_contract(path)` checks it and "
           "`hormonestats validate CONTRACT DATA_DIR` checks the data against it. "
           "`hormonestats init DATA_DIR` drafts one from the data files.\n",
           "## Top-level keys\n",
           _table(["key", "accepts", "what it holds"],
                  [(f"`{k}`", structure.accepts(structure.TOP_LEVEL[k]), _TOP_HELP.get(k, ""))
                   for k in top]),
           f"`design` is one of {_list(contracts.DESIGNS)}. `tables` maps each table the study "
           f"has ({_list(contracts.TABLES)}) to its file name in the data folder, or null to "
           "look for `<table>.csv/.xlsx/.sav/.parquet`.\n",
           "## Table sources: a lab's own files\n",
           "A table may name one file (the long table itself), or one source or a list of "
           "sources, each mapping a lab's file onto the long table (worked example: "
           "`schemas/lab_study.yaml`, the bundled `lab_study` dataset, and the "
           "[own study](../own-study.md) page):\n",
           _table(["option", "what it says"],
                  [(f"`{k}`", _SOURCE_HELP.get(k, "")) for k in _source_options()]),
           "## Where files go\n",
           "- Every path stays inside its folder: an absolute path or one climbing out with "
           "`..` is refused unless it names a root the contract declares under `roots`.\n"
           "- Table files and instrument answer keys (`instruments: {rmet: {key: "
           "rmet_key.csv}}`, a table with columns `item, correct`) sit in the **data folder**.\n"
           "- User instrument definitions (`instruments: {my_scale: {definition: "
           "my_scale.yaml}}`) sit **beside the contract** (paths are relative to the contract "
           "file). Their format is on the [instruments](instruments.md) page.\n"]
    for title, options, cls in (
            ("Analyte options (`analytes: {NAME: {...}}`)", structure.ANALYTE_OPTIONS,
             contracts.AnalyteSpec),
            ("SNP options (`snps: {RSID: {...}}`)", structure.SNP_OPTIONS, contracts.SnpSpec),
            ("Instrument options (`instruments: {NAME: {...}}`)", structure.INSTRUMENT_OPTIONS,
             contracts.InstrumentSpec),
            ("Extra column options (`columns: {TABLE: {COLUMN: {...}}}`)",
             structure.COLUMN_OPTIONS, contracts.ColumnSpec)):
        out += [f"## {title}\n", _table(["option", "accepts", "default"],
                                        _option_rows(options, cls))]
    dtypes = getattr(contracts, "_DTYPES", None)
    if dtypes:
        out.append(f"Extra column `dtype` is one of {_list(dtypes)}.\n")
    out.append("## The tables and their columns\n")
    for table, cols in schemas.BASE_COLUMNS.items():
        rows = []
        for c in cols:
            bounds = ", ".join(p for p in (
                f"min {c.min:g}" if c.min is not None else "",
                f"max {c.max:g}" if c.max is not None else "",
                f"one of {', '.join(map(str, c.values))}" if c.values else "") if p)
            rows.append((f"`{c.name}`", c.kind, "yes" if c.required else "no",
                         "yes" if c.nullable else "no", bounds))
        out += [f"### {table}\n", _table(["column", "kind", "required", "missing allowed",
                                          "allowed values"], rows)]
    example = (ROOT / "schemas" / "example_study.yaml").read_text(encoding="utf-8")
    out += ["## A complete contract\n", "The bundled example study's contract "
            "(`schemas/example_study.yaml`):\n", "```yaml\n" + example.rstrip() + "\n```\n"]
    return "\n".join(out)


# --------------------------------------------------------------------------- registries
def analytes_page() -> str:
    import hormonestats as hs
    from hormonestats.registry.analytes import MATRICES

    rows = []
    for a in hs.ANALYTES.values():
        # one matrix a line, kept whole (docs/stylesheets/tables.css gives the column a width)
        ranges = "<br>".join(f'<span class="range-list">{m}: {lo:g}–{hi:g}</span>'
                             for m, (lo, hi) in a.plausible.items())
        rows.append((f"`{a.name}`", a.label, a.kind, a.canonical_unit, ", ".join(a.units),
                     ", ".join(a.matrices), ranges, ", ".join(a.aliases),
                     "" if a.molar_mass is None else f"{a.molar_mass:g}"))
    return ("# Analytes\n\nGenerated from `hs.ANALYTES`. A contract names analytes by name or "
            "alias; units must be one of the analyte's units. Plausible ranges (canonical unit, "
            "pg/mg for hair) give warnings only.\n\n"
            f"Matrices: {_list(MATRICES)}.\n\n"
            + _table(["analyte", "label", "kind", "canonical unit", "units", "matrices",
                      "plausible range", "aliases", "molar mass (g/mol)"], rows))


def snps_page() -> str:
    import hormonestats as hs

    rows = [(f"`{s.rsid}`", s.gene, "/".join(s.alleles), ", ".join(s.genotypes), s.chromosome,
             s.position_grch38 or "", s.minor_allele or "", s.note) for s in hs.SNPS.values()]
    return ("# SNPs\n\nGenerated from `hs.SNPS`. Genotypes may be written `AG`, `A/G`, `G/A`, "
            "`A|G`; no-calls (`--`, `00`, `NA`, empty) are missing. Data on the opposite strand: "
            "`snps: {RSID: {strand: reverse}}`.\n\n"
            + _table(["SNP", "gene", "alleles", "genotypes", "chromosome", "GRCh38 position",
                      "minor allele", "note"], rows))


def instruments_page() -> str:
    import hormonestats as hs
    from hormonestats.registry import instruments as mod

    out = ["# Instruments\n", "Generated from `hs.INSTRUMENTS`. Item ids are strings `1`..`N` in "
           "published order; in the responses table `1`, `\"1\"` and `\"01\"` are the same item. "
           "No item text ships.\n",
           "Answer keys (instruments scored against a key) are tables with columns `item, "
           "correct` in the **data folder**, named in the contract: `instruments: {rmet: {key: "
           "rmet_key.csv}}`.\n"]
    for inst in hs.INSTRUMENTS.values():
        subscales = "; ".join(f"{k}: {', '.join(v)}" for k, v in inst.subscales.items())
        rows = [("label", inst.label), ("citation", inst.citation),
                ("items", ", ".join(inst.items)),
                ("response range", f"{inst.response_min} to {inst.response_max}"),
                ("reverse-keyed items", ", ".join(inst.reverse) or "none"),
                ("subscales", subscales), ("scoring", inst.scoring),
                ("answer key needed", "yes (key file in the data folder)" if inst.needs_key
                 else "no"),
                ("task total accepted (item `total`)", "yes" if inst.accepts_total else "no"),
                ("items a scale may miss (prorated)", inst.max_missing),
                ("score range", inst.score_range or ""),
                ("score columns", ", ".join(inst.score_columns)), ("note", inst.note)]
        out += [f"## `{inst.name}`\n", _table(["", ""], rows)]
    out += ["## Defining your own instrument\n",
            "A YAML file beside the contract (`instruments: {my_scale: {definition: "
            "my_scale.yaml}}`), loaded by `hs.load_instrument`.\n",
            f"Required keys: {_list(mod._REQUIRED)}. Optional keys: {_list(mod._OPTIONAL)}. "
            f"`scoring` is one of {_list(mod.SCORINGS)}; `items: 10` is shorthand for items "
            "`1`..`10`; `subscales` maps a scale to its items (`total: all` for every item).\n",
            "```yaml\nname: my_scale\nlabel: My lab's mood scale\nitems: 3\nresponse_min: 1\n"
            "response_max: 5\nreverse: ['2']\nsubscales: {total: all}\nscoring: mean\n"
            "max_missing: 1\n```\n",
            "## Scoring rules\n", inspect.cleandoc(mod.__doc__).split("**Scoring rules**", 1)[-1]
            .split("\n\n", 1)[0].lstrip(": ") + "\n"]
    return "\n".join(out)


def agents_page() -> str:
    import hormonestats as hs

    rows = []
    for a in hs.AGENTS.values():
        fields = {f.name: getattr(a, f.name) for f in dataclasses.fields(a)}
        rows.append([f"`{fields.pop('name')}`"] + [_cell(v) for v in fields.values()])
    header = ["agent"] + [f.name for f in dataclasses.fields(next(iter(hs.AGENTS.values())))][1:]
    return ("# Treatment agents\n\nGenerated from `hs.AGENTS`. Routes: "
            f"{_list(hs.ROUTES)}.\n\n" + _table(header, rows))


def glossary_page() -> str:
    from hormonestats.report.glossary import COLUMNS, PATTERNS

    rows = [(f"`{k}`", v) for k, v in sorted(COLUMNS.items())]
    pats = [(f"`{p}`", t) for p, t in PATTERNS]
    return ("# Column glossary\n\nGenerated from `hormonestats.report.glossary`: what every "
            "column of the report tables and the analysis table means. Reports print these "
            "notes under each table.\n\n" + _table(["column", "meaning"], rows)
            + "\n## Columns named after the study\n\n" + _table(["pattern", "meaning"], pats))


# --------------------------------------------------------------------------- CLI
def cli_page() -> str:
    import click
    import typer

    from hormonestats import cli

    cli.add_lazy_help()
    group = typer.main.get_command(cli.app)
    ctx = click.Context(group, info_name="hormonestats")
    out = ["# Command line\n", "Generated from the typer app. Every mistake (bad input, "
           "unknown name or column) exits with code 2 and a message, never a traceback.\n"]
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        out.append(f"## `hormonestats {name}`\n")
        out.append(inspect.cleandoc(cmd.help or "") + "\n")
        rows = []
        for p in cmd.params:
            if p.name == "help":
                continue
            kind = "argument" if p.param_type_name == "argument" else ", ".join(p.opts)
            default = "" if p.required or p.default in (None, ()) else p.default
            rows.append((f"`{kind}`" if kind != "argument" else f"`{p.name.upper()}`",
                         getattr(p, "help", "") or "", "yes" if p.required else "",
                         _cell(default), "yes" if getattr(p, "multiple", False) else ""))
        out.append(_table(["argument / option", "meaning", "required", "default",
                           "repeatable"], rows))
        if cmd.epilog:
            out.append(cmd.epilog + "\n")
    return "\n".join(out)


# --------------------------------------------------------------------------- API
def api_pages() -> dict[str, str]:
    import hormonestats as hs

    groups: dict[str, list[tuple[str, str]]] = {}
    for name, module in sorted(hs._API.items(), key=lambda kv: (kv[1], kv[0])):
        stage = module.split(".")[0]
        groups.setdefault(STAGES.get(stage, stage), []).append((name, module))
    pages = {}
    for title, names in groups.items():
        slug = title.split(":")[0].lower().replace(" ", "_")
        body = [f"# {title}\n"]
        for name, module in names:
            # hs.plots and hs.report are modules; every other public name is an object
            modules = ("plots", "report")
            target = f"hormonestats.{module}" + ("" if name in modules else f".{name}")
            body.append(f"::: {target}\n    options:\n      heading_level: 2\n"
                        f"      show_root_full_path: false\n"
                        + ("      members: false\n" if name == "report" else ""))
        pages[f"api/{slug}.md"] = "\n".join(body)
    return pages


def generated_pages() -> dict[str, str]:
    pages = {
        "reference/contract.md": contract_page(),
        "reference/analytes.md": analytes_page(),
        "reference/snps.md": snps_page(),
        "reference/instruments.md": instruments_page(),
        "reference/agents.md": agents_page(),
        "reference/glossary.md": glossary_page(),
        "reference/cli.md": cli_page(),
    }
    pages.update(api_pages())
    return pages


@event_priority(100)  # before mkdocs-jupyter wraps the notebooks
def on_files(files, config):
    for path, content in generated_pages().items():
        files.append(File.generated(config, path, content=content))
    # the notebooks with their outputs: each run top to bottom in a scratch folder (what it
    # writes lands there, never in the repository), the page made from the executed copy
    _SCRATCH.append(tempfile.TemporaryDirectory(prefix="hormonestats-docs-"))
    executed = Path(_SCRATCH[-1].name)
    (executed / "notebooks").mkdir()
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        (executed / "notebooks" / nb.name).write_text(executed_notebook(nb), encoding="utf-8")
        files.append(File(f"notebooks/{nb.name}", src_dir=str(executed),
                          dest_dir=config["site_dir"],
                          use_directory_urls=config["use_directory_urls"]))
    return files


def executed_notebook(path: Path) -> str:
    """The notebook at ``path`` run in a fresh kernel in its own scratch folder, as JSON."""
    import os

    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the inline backend
    with tempfile.TemporaryDirectory() as folder:
        NotebookClient(nb, timeout=600, kernel_name="python3").execute(cwd=folder, env=env)
    return nbformat.writes(nb)


def on_post_build(config):
    while _SCRATCH:
        _SCRATCH.pop().cleanup()


def on_config(config):
    nav = config["nav"] or []
    api = sorted(p for p in api_pages())
    notebooks = [f"notebooks/{nb.name}" for nb in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    for item in nav:
        if isinstance(item, dict) and "API reference" in item:
            item["API reference"] = api
        if isinstance(item, dict) and "Notebooks" in item:
            item["Notebooks"] = notebooks
    return config
