"""Command line: a thin layer over the public API (typer + rich).

Bad input (a contract naming an unknown analyte, an unreadable table, a study that fails
validation, an unknown hypothesis, role or column) prints a readable report and exits with code
2, never with a traceback. ``run`` exits with 3 when nothing could be tested.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from . import __version__
from .cli_help import (
    EFFECT_HELP,
    EXIT_BAD_INPUT,
    EXIT_NOTHING_TESTED,
    effect_scale,
    hypothesis_names,
    power_epilog,
    run_epilog,
)
from .errors import HormoneStatsError

app = typer.Typer(
    name="hormonestats",
    help="Validate, process and model behavioural-endocrinology study data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def _version(value: bool) -> None:
    if value:
        console.print(f"hormonestats {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Validate, process and model behavioural-endocrinology study data."""


def _os_message(path, err: OSError) -> str:
    where = f" ({err.filename})" if getattr(err, "filename", None) else ""
    return f"cannot write {path}: {err.strerror or err}{where}"


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def validate(
    contract: Annotated[Path, typer.Argument(help="The study contract (YAML).")],
    data_dir: Annotated[Path, typer.Argument(help="Folder holding the study's table files.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the failures as JSON to this file.")
    ] = None,
) -> None:
    """Check a study's tables against its contract; exit 0 if valid, 2 if not."""
    from .study.reading import read_study
    from .study.validation import validate as run_validate

    try:
        study = read_study(contract, data_dir)
        report = run_validate(study)
    except HormoneStatsError as err:
        _fail(str(err))
        return
    if json_out is not None:
        try:
            json_out.write_text(report.to_json(), encoding="utf-8")
        except OSError as err:
            _fail(_os_message(json_out, err))
    console.print(report.summary(), markup=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def qc(
    contract: Annotated[Path, typer.Argument(help="The study contract (YAML).")],
    data_dir: Annotated[Path, typer.Argument(help="Folder holding the study's table files.")],
) -> None:
    """Assay, genotype and instrument quality: % below LOD, CVs, HWE/MAF/call rate, alpha/omega."""
    from .derive.processing import process_study
    from .pipeline import reliability_table
    from .study.reading import read_study
    from .study.validation import validate as run_validate

    try:
        study = read_study(contract, data_dir)
        run_validate(study).raise_for_errors()
        processed = process_study(study)
    except HormoneStatsError as err:
        _fail(str(err))
        return

    def show(title, frame):
        console.print(f"\n{title}", style="bold", markup=False)
        console.print(frame.to_string(index=False, float_format=lambda v: f"{v:.3g}"),
                      markup=False, soft_wrap=True)

    if processed.samples is not None:
        show("Readings below the limit of detection", processed.samples.lod_summary)
        show("Intra-assay CV (%)", processed.samples.intra_cv)
        if not processed.samples.inter_cv.empty:
            show("Inter-assay CV (%) of plate controls", processed.samples.inter_cv)
        show("Row accounting of the samples table (wells)", processed.samples.accounting())
    if processed.genotype_qc is not None:
        show("Genotype QC (exact Hardy-Weinberg test, Wigginton et al. 2005)",
             processed.genotype_qc)
    rel = reliability_table(study)
    if rel is not None:
        show("Reliability (Cronbach's alpha with Feldt CI; omega total)", rel)


@app.command()
def checklist(
    contract: Annotated[Path, typer.Option("--contract", help="The study contract (YAML).")],
    data: Annotated[Path, typer.Option("--data", help="Folder holding the study's table files.")],
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Also write the checklist as an HTML section.")
    ] = None,
) -> None:
    """Reporting checklists (CAR, intranasal oxytocin, cycle, assays): met / not met / not recorded."""
    from .report.checklists import checklist as fill_checklist
    from .report.checklists import checklist_section_html
    from .study.reading import read_study

    try:
        table = fill_checklist(read_study(contract, data))
    except HormoneStatsError as err:
        _fail(str(err))
        return
    for guideline, rows in table.groupby("guideline", sort=False):
        met = int((rows["status"] == "met").sum())
        console.print(f"\n{guideline}: {met} of {len(rows)} items met", style="bold", markup=False)
        shown = rows.drop(columns="guideline")
        console.print(shown.to_string(index=False), markup=False, soft_wrap=True)
    if html_out is not None:
        html_out.write_text(checklist_section_html(table), encoding="utf-8")


@app.command()
def datasets() -> None:
    """List the bundled datasets with their source and licence."""
    from rich.table import Table

    from .datasets import list_datasets

    table = Table()
    table.add_column("name", no_wrap=True)
    for name in ("design", "source", "licence", "description"):
        table.add_column(name)
    for row in list_datasets().itertuples():
        table.add_row(row.name, row.design, row.source, row.licence, row.description)
    console.print(table)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Results folder to write.")] = Path("results/demo"),
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress display.")] = False,
) -> None:
    """Run the whole pipeline on the bundled example study."""
    from .demo import run_demo

    try:
        run_demo(out=out, console=console, progress=not quiet)
    except HormoneStatsError as err:
        _fail(str(err))
    except OSError as err:
        _fail(_os_message(out, err))


def add_lazy_help() -> None:
    """Fill the help texts that need the registries (built only when help is shown, so that
    starting the command stays fast)."""
    for info in app.registered_commands:
        name = getattr(info.callback, "__name__", "")
        if name == "run":
            info.epilog = run_epilog()
        elif name in ("power", "sample_size"):
            info.epilog = power_epilog()


def _closest_text(name: str, choices) -> str:
    from .roles import closest

    near = closest(name, choices)
    return f"; closest: {', '.join(near)}" if near else ""


def _parse_pairs(items, option: str, value_type=str) -> dict:
    out = {}
    for item in items or []:
        if "=" not in item:
            _fail(f"{option} expects NAME=VALUE, got {item!r}")
        key, value = (part.strip() for part in item.split("=", 1))
        if not key or not value:
            _fail(f"{option} expects NAME=VALUE, got {item!r}")
        try:
            out[key] = value_type(value)
        except ValueError:
            _fail(f"{option} {key}: {value!r} is not a number")
    return out


@app.command()
def run(
    analysis: Annotated[str, typer.Argument(help="A registered hypothesis name, or full_study.")],
    contract: Annotated[Path, typer.Option(help="The study contract (YAML).")],
    data: Annotated[Path, typer.Option(help="Folder holding the study's table files.")],
    out: Annotated[Path, typer.Option(help="Results folder to write.")],
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 20261122,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples.", min=1)] = 5000,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="role=column, e.g. outcome=iri_ec (repeatable; roles below)."),
    ] = None,
    covariate: Annotated[
        list[str] | None,
        typer.Option("--covariate", help="A column every model is adjusted for, e.g. sex "
                     "(repeatable)."),
    ] = None,
) -> None:
    """Run a canned analysis: validate, process, test, figures, report.html, manifest."""
    from .cli_tables import results_table, role_table
    from .pipeline import run_analysis
    from .study.reading import read_study

    names = hypothesis_names()
    if analysis != "full_study" and analysis not in names:
        _fail(f"unknown analysis {analysis!r}{_closest_text(analysis, ['full_study', *names])}"
              f"; choose full_study or one of: {', '.join(names)}")
    mapping = _parse_pairs(map_, "--map")
    covariates = list(dict.fromkeys(covariate or []))
    try:
        study = read_study(contract, data)
        results = run_analysis(study, out=out, seed=seed, n_boot=n_boot, mapping=mapping,
                               covariates=covariates,
                               hypotheses=None if analysis == "full_study" else [analysis],
                               console=console, title=f"hormonestats: {analysis}")
    except HormoneStatsError as err:
        _fail(str(err))
        return
    except OSError as err:
        _fail(_os_message(out, err))
        return
    table = results["hypotheses_table"]
    if len(table):
        console.print(results_table(table))
    plan = results["roles"]
    skipped = plan[plan["status"] != "applicable"]
    if len(skipped):
        console.print(role_table(skipped, "Not applicable to this study (not in the results)"))
    n_tested = int((table["status"] == "tested").sum()) if len(table) else 0
    console.print(f"{n_tested} of {len(plan)} hypotheses tested"
                  + (f"; adjusted for {', '.join(covariates)}" if covariates else ""),
                  markup=False)
    console.print(f"Results: {results['folder']}", markup=False)
    if n_tested == 0:
        err_console.print(
            "nothing could be tested: see the reasons above (`hormonestats hypotheses "
            "--contract C --data D` shows the --map line that maps the missing roles)",
            markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_NOTHING_TESTED)


@app.command("hypotheses")
def hypotheses_cmd(
    contract: Annotated[
        Path | None, typer.Option(help="A study contract: show which roles it maps.")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="The study's data folder.")] = None,
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="role=column to try (repeatable).")
    ] = None,
) -> None:
    """Every registered hypothesis (family, roles, claim); with a study, which roles map to
    which columns on their own, which do not and why, and the --map line that fixes it."""
    from .cli_tables import map_line, registry_table, role_table
    from .models.hypotheses import hypotheses
    from .roles import ROLES, check_columns, role_plan

    if (contract is None) != (data is None):
        _fail("give both --contract and --data (or neither, for the list of hypotheses)")
    console.print(registry_table(hypotheses, ROLES))
    if contract is None:
        console.print("Roles:", style="bold", markup=False)
        for role, text in ROLES.items():
            console.print(f"  {role}: {text}", markup=False, soft_wrap=True)
        return
    from .derive.processing import process_study
    from .study.reading import read_study
    from .study.validation import validate as run_validate

    mapping = _parse_pairs(map_, "--map")
    try:
        study = read_study(contract, data)
        run_validate(study).raise_for_errors()
        table = process_study(study).table
        check_columns(table.columns, mapping=mapping)
    except HormoneStatsError as err:
        _fail(str(err))
        return
    plan = role_plan(table, design=study.contract.design, mapping=mapping,
                     instruments=tuple(study.contract.instruments))
    console.print(role_table(plan, f"Roles of study {study.contract.name!r} "
                                   f"(design {study.contract.design})"))
    n_ok = int((plan["status"] == "applicable").sum())
    console.print(f"{n_ok} of {len(plan)} hypotheses apply as mapped.", markup=False)
    fix = map_line(plan)
    if fix:
        given = " ".join(f"--map {r}={c}" for r, c in mapping.items())
        console.print("To map the missing roles (best guesses: check them):", markup=False)
        console.print(f"  hormonestats run full_study --contract {contract} --data {data} "
                      f"--out results {' '.join(p for p in (given, fix) if p)}",
                      markup=False, soft_wrap=True)


def _power_target(name: str):
    """A registered hypothesis name, or a family spec {'family': name}; else exit 2."""
    names = hypothesis_names()
    if name in names:
        return name
    try:
        from .simulate import power as power_module

        families = list(getattr(power_module, "FAMILIES", {}))
    except ImportError:  # pragma: no cover - the module is part of the package
        families = []
    if name in families:
        return {"family": name}
    _fail(f"unknown hypothesis {name!r}{_closest_text(name, names + families)}; choose a "
          f"registered hypothesis ({', '.join(names)}) or a model family "
          f"({', '.join(families)})")
    return None


@app.command()
def power(
    hypothesis: Annotated[str, typer.Argument(help="A registered hypothesis or a model family.")],
    n: Annotated[list[int], typer.Option("--n", help="Sample sizes, e.g. --n 50 100 200.")],
    sims: Annotated[int, typer.Option(help="Simulations per sample size.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed (same seed, same table).")] = 20261122,
    out: Annotated[Path | None, typer.Option(help="Folder for power.csv and the curve.")] = None,
    n_jobs: Annotated[int, typer.Option(help="Parallel workers.")] = 1,
    effect: Annotated[
        list[str] | None, typer.Option("--effect", help=EFFECT_HELP)
    ] = None,
    alpha: Annotated[float, typer.Option(help="Two-sided significance level.")] = 0.05,
) -> None:
    """Simulation-based power over sample sizes; writes a table and a power curve."""
    from .simulate.power import power as run_power

    target = _power_target(hypothesis)
    effects = _parse_pairs(effect, "--effect", float) or None
    try:
        table = run_power(target, n=n, n_sims=sims, seed=seed, n_jobs=n_jobs,
                          effects=effects, alpha=alpha, progress=True)
    except HormoneStatsError as err:
        _fail(str(err))
        return
    console.print(table.to_string(index=False), markup=False, soft_wrap=True)
    console.print(f"Effect scale: {effect_scale(hypothesis)}."
                  + (f" Effects set: {effects}." if effects else " Built-in effects."),
                  markup=False, soft_wrap=True)
    if out is not None:
        from .report import plots, write_report

        ax = plots.power_curve(table)
        try:
            folder = write_report(out, title=f"Power: {hypothesis}", tables={"power": table},
                                  figures={"power_curve": ax})
        except (HormoneStatsError, OSError) as err:
            _fail(_os_message(out, err) if isinstance(err, OSError) else str(err))
            return
        console.print(f"Results: {folder}", markup=False)


@app.command()
def plates(
    exports: Annotated[list[Path], typer.Argument(help="Plate reader exports (csv/xlsx).")],
    layout: Annotated[Path, typer.Option(help="The plate layout (csv/xlsx).")],
    analyte: Annotated[str, typer.Option(help="Analyte measured, e.g. cortisol.")],
    unit: Annotated[str, typer.Option(help="Unit of the standards, e.g. nmol/L.")],
    out: Annotated[Path, typer.Option(help="Samples table (csv) to write.")],
    matrix: Annotated[str, typer.Option(help="Sample matrix.")] = "saliva",
    method: Annotated[str, typer.Option(help="Assay method.")] = "immunoassay",
    model: Annotated[str, typer.Option(help="Curve: 4pl, 5pl or auto (by AIC).")] = "auto",
    weights: Annotated[str, typer.Option(help="Weights: 1/y^2, 1/y or none.")] = "1/y^2",
    qc: Annotated[
        Path | None, typer.Option("--qc", help="Also write the plate QC as an HTML page.")
    ] = None,
) -> None:
    """Standard curves per plate and back-calculated concentrations -> a samples table."""
    from .derive.back_calculation import plate_concentrations
    from .derive.standard_curves import fit_standard_curves
    from .registry.analytes import get_analyte
    from .registry.units import unit_allowed
    from .study.plates import read_plates

    try:
        name = get_analyte(analyte).name
        if not unit_allowed(name, unit):
            _fail(f"unit {unit!r} is not a unit of {name}")
        wells = read_plates(exports, layout=layout)
        curves = fit_standard_curves(wells, model=model,
                                     weights=None if weights == "none" else weights)
        rows = plate_concentrations(wells, curves, analyte=name, unit=unit, matrix=matrix,
                                    method=method)
    except HormoneStatsError as err:
        _fail(str(err))
        return
    for plate, curve in curves.items():
        console.print(f"{plate}: {curve.choice}; LLOQ {curve.lloq:.4g}, ULOQ {curve.uloq:.4g}, "
                      f"LOD {curve.lod:.4g} {unit}", markup=False, soft_wrap=True)
    counts = rows["flag"].value_counts()
    console.print("wells by flag: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
                  markup=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(out, index=False)
    console.print(f"Samples table: {out} ({len(rows)} rows)", markup=False)
    if qc is not None:
        from .derive.plate_quality import plate_qc
        from .report.plate_report import plate_qc_section

        section = plate_qc_section(plate_qc(wells, curves, rows=rows), unit=unit)
        qc.parent.mkdir(parents=True, exist_ok=True)
        qc.write_text(f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Plate QC"
                      f"</title></head><body>\n{section}\n</body></html>\n", encoding="utf-8")
        console.print(f"Plate QC: {qc}", markup=False)


@app.command()
def multiverse(
    hypothesis: Annotated[str, typer.Argument(help="A registered hypothesis name.")],
    contract: Annotated[Path, typer.Option(help="The study contract (YAML).")],
    data: Annotated[Path, typer.Option(help="Folder holding the study's table files.")],
    out: Annotated[Path, typer.Option(help="Results folder to write.")],
    decision: Annotated[
        list[str] | None,
        typer.Option("--decision", help="name=choice,choice (repeatable), e.g. "
                     "lod=lod/2,lod/sqrt2 or outliers=kept,excluded. Names: lod, max_cv, "
                     "outliers, transform, genotype_coding, contraception, cycle_coding, "
                     "car_delay. Default: lod, max_cv, outliers and transform, all choices."),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="role=column, e.g. outcome=iri_ec (repeatable)."),
    ] = None,
    covariate: Annotated[
        list[str] | None, typer.Option("--covariate", help="Covariate (repeatable).")
    ] = None,
    n_null: Annotated[int, typer.Option(help="Resamples under the null (0: none).")] = 500,
    seed: Annotated[int, typer.Option(help="Seed (same seed, same table).")] = 20261122,
    n_jobs: Annotated[int, typer.Option(help="Local worker processes.")] = 1,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786.")
    ] = None,
) -> None:
    """Multiverse analysis: the hypothesis under every combination of the decisions."""
    from .models.hypotheses import hypotheses
    from .pipeline import DEFAULT_MAPPING
    from .report.multiverse_report import write_multiverse
    from .study.reading import read_study

    if hypothesis not in hypotheses:
        _fail(f"unknown hypothesis {hypothesis!r}; choose one of: {', '.join(hypotheses)}")
    decisions = {}
    for item in decision or []:
        if "=" not in item:
            _fail(f"--decision expects name=choice,choice, got {item!r}")
        name, choices = item.split("=", 1)
        decisions[name.strip()] = [c.strip() for c in choices.split(",") if c.strip()]
    mapping = dict(DEFAULT_MAPPING)
    for item in map_ or []:
        if "=" not in item:
            _fail(f"--map expects role=column, got {item!r}")
        role, column = item.split("=", 1)
        mapping[role.strip()] = column.strip()
    try:
        study = read_study(contract, data)
        result, folder = write_multiverse(
            study, out=out, hypothesis=hypothesis, decisions=decisions or None,
            mapping=mapping, covariates=tuple(covariate or ()), n_null=n_null, seed=seed,
            n_jobs=n_jobs, scheduler=scheduler, inputs={"contract": contract, "data": data},
        )
    except HormoneStatsError as err:
        _fail(str(err))
        return
    console.print(result.summary(), markup=False, soft_wrap=True)
    console.print(f"Results: {folder}", markup=False)


@app.command("sample-size")
def sample_size(
    hypothesis: Annotated[str, typer.Argument(help="A registered hypothesis or a model family.")],
    target: Annotated[float, typer.Option("--power", help="Power to reach.")] = 0.8,
    effect: Annotated[
        list[str] | None, typer.Option("--effect", help=EFFECT_HELP)
    ] = None,
    alpha: Annotated[float, typer.Option(help="Two-sided significance level.")] = 0.05,
    sims: Annotated[int, typer.Option(help="Simulations per evaluated sample size.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed (same seed, same answer).")] = 20261122,
    n_min: Annotated[int, typer.Option(help="Smallest sample size searched.")] = 20,
    n_max: Annotated[int, typer.Option(help="Largest sample size searched.")] = 5000,
    n_jobs: Annotated[int, typer.Option(help="Parallel workers.")] = 1,
) -> None:
    """The smallest sample size whose simulated power reaches --power (bisection)."""
    from .simulate.power import sample_size_for

    spec = _power_target(hypothesis)
    effects = _parse_pairs(effect, "--effect", float) or None
    try:
        table = sample_size_for(spec, power=target, n_range=(n_min, n_max), effects=effects,
                                n_sims=sims, alpha=alpha, seed=seed, n_jobs=n_jobs)
    except HormoneStatsError as err:
        _fail(str(err))
        return
    console.print(table.to_string(index=False), markup=False, soft_wrap=True)
    row = table.iloc[0]
    console.print(f"n = {int(row['n'])} reaches power {row['power']:.3f} "
                  f"(Monte-Carlo SE {row['mc_se']:.3f}; target {target}, alpha {alpha}). "
                  f"Effect scale: {effect_scale(hypothesis)}.", markup=False, soft_wrap=True)


@app.command()
def init(
    data_dir: Annotated[Path, typer.Argument(help="Folder holding the study's table files.")],
    out: Annotated[Path, typer.Option(help="Contract file to write.")] = Path("contract.yaml"),
    name: Annotated[str | None, typer.Option(help="Study name (default: the folder's).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Draft a study contract from the data files; what it cannot infer is marked TODO
    with the allowed choices listed. Settle the TODOs, then `hormonestats validate`."""
    from .study.drafting import draft_contract

    if out.exists() and not force:
        _fail(f"{out} exists; choose another --out or pass --force to replace it")
    try:
        draft = draft_contract(data_dir, name=name, contract_dir=out.parent)
    except HormoneStatsError as err:
        _fail(str(err))
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(draft.text, encoding="utf-8")
    except OSError as err:
        _fail(_os_message(out, err))
    console.print(draft.summary(), markup=False, soft_wrap=True)
    console.print(f"Draft contract: {out}", markup=False)


def _spread_multi(argv: list[str], option: str = "--n") -> list[str]:
    """Let ``--n 50 100 200`` mean ``--n 50 --n 100 --n 200`` (numbers after the option)."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        out.append(argv[i])
        if argv[i] == option:
            j = i + 1
            values = []
            while j < len(argv) and argv[j].lstrip("-").isdigit() and not argv[j].startswith("--"):
                values.append(argv[j])
                j += 1
            if values:
                out.append(values[0])
                for v in values[1:]:
                    out.extend([option, v])
                i = j
                continue
        i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hormonestats`` command; returns the exit code.

    Usage errors (unknown option, missing argument) exit with 2 as click does; bad data exit
    with 2 through the commands; a bug still shows its traceback.
    """
    argv = _spread_multi(list(sys.argv[1:] if argv is None else argv))
    if "--help" in argv:
        add_lazy_help()
    try:
        app(args=argv, prog_name="hormonestats", standalone_mode=True)
    except SystemExit as stop:
        code = stop.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except HormoneStatsError as err:  # defensive: a command that did not catch its own
        err_console.print(f"error: {err}", markup=False)
        return EXIT_BAD_INPUT
    return 0


def _console_main() -> None:  # pragma: no cover - exercised through the installed script
    sys.exit(main())
