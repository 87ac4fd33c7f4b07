"""Command line: a thin layer over the public API (typer + rich).

Bad input (a contract naming an unknown analyte, an unreadable table, a study that fails
validation) prints a readable report and exits with code 2, never with a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from . import __version__
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

EXIT_BAD_INPUT = 2


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
        json_out.write_text(report.to_json(), encoding="utf-8")
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


@app.command()
def run(
    analysis: Annotated[str, typer.Argument(help="A registered hypothesis name, or full_study.")],
    contract: Annotated[Path, typer.Option(help="The study contract (YAML).")],
    data: Annotated[Path, typer.Option(help="Folder holding the study's table files.")],
    out: Annotated[Path, typer.Option(help="Results folder to write.")],
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 20261122,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 5000,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="role=column, e.g. outcome=iri_ec (repeatable)."),
    ] = None,
) -> None:
    """Run a canned analysis: validate, process, test, figures, report.html, manifest."""
    from .models.hypotheses import hypotheses
    from .pipeline import DEFAULT_MAPPING, run_analysis
    from .study.reading import read_study

    if analysis != "full_study" and analysis not in hypotheses:
        _fail(f"unknown analysis {analysis!r}; choose full_study or one of: "
              f"{', '.join(hypotheses)}")
    mapping = dict(DEFAULT_MAPPING)
    for item in map_ or []:
        if "=" not in item:
            _fail(f"--map expects role=column, got {item!r}")
        role, column = item.split("=", 1)
        mapping[role.strip()] = column.strip()
    try:
        study = read_study(contract, data)
        results = run_analysis(study, out=out, seed=seed, n_boot=n_boot, mapping=mapping,
                               hypotheses=None if analysis == "full_study" else [analysis],
                               console=console, title=f"hormonestats: {analysis}")
    except HormoneStatsError as err:
        _fail(str(err))
        return
    table = results["hypotheses"].table
    cols = ["hypothesis", "estimate", "conf_low", "conf_high", "p_value", "p_fdr", "status"]
    console.print(table[cols].to_string(index=False), markup=False)
    console.print(f"Results: {results['folder']}", markup=False)


@app.command()
def power(
    hypothesis: Annotated[str, typer.Argument(help="A registered hypothesis name.")],
    n: Annotated[list[int], typer.Option("--n", help="Sample sizes, e.g. --n 50 100 200.")],
    sims: Annotated[int, typer.Option(help="Simulations per sample size.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed (same seed, same table).")] = 20261122,
    out: Annotated[Path | None, typer.Option(help="Folder for power.csv and the curve.")] = None,
    n_jobs: Annotated[int, typer.Option(help="Local worker processes.")] = 1,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Start a local Dask cluster with this many workers.")
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue an interrupted run from the chunks kept in --out.")
    ] = False,
) -> None:
    """Simulation-based power over sample sizes; writes a table and a power curve.

    Finished chunks of simulations are kept in OUT/chunks while the run lasts, so that
    --resume continues an interrupted run; the same seed gives the same table on any
    number of workers or on a cluster.
    """
    from contextlib import ExitStack

    from .simulate.power import power as run_power

    if scheduler is not None and workers is not None:
        _fail("give either --scheduler (a running cluster) or --workers (a local one), not both")
    if workers is not None and workers < 1:
        _fail(f"--workers must be at least 1, got {workers}")
    if resume and out is None:
        _fail("--resume needs --out: the folder of the interrupted run")
    try:
        with ExitStack() as stack:
            target = scheduler
            if workers is not None:
                from .parallel import local_cluster

                target = stack.enter_context(local_cluster(workers))
            table = run_power(hypothesis, n=n, n_sims=sims, seed=seed, n_jobs=n_jobs,
                              scheduler=target, progress=True,
                              checkpoint=None if out is None else out / "chunks", resume=resume)
    except HormoneStatsError as err:
        _fail(str(err))
        return
    console.print(table.to_string(index=False), markup=False)
    if out is not None:
        from .report import plots, write_report

        ax = plots.power_curve(table)
        folder = write_report(out, title=f"Power: {hypothesis}", tables={"power": table},
                              figures={"power_curve": ax})
        console.print(f"Results: {folder}", markup=False)


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
