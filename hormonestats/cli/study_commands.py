"""Commands on a study's files: validate, qc, checklist, datasets, init."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import HormoneStatsError
from .common import (
    SchedulerOption,
    WorkersOption,
    _execution_target,
    _fail,
    _os_message,
    app,
    console,
)
from .helptext import EXIT_BAD_INPUT
from .study_args import ContractArg, ContractOpt, DataArg, DataOpt, study_paths

ScanOption = Annotated[
    bool, typer.Option("--scan", help="Leave the samples table on disk (parquet: samples.parquet "
                       "or a samples/ folder of parquet files) and check and process it one "
                       "subject partition at a time: for studies larger than memory.")]


def _guarded(path: Path, contract: Path, data_dir: Path, study, what: str) -> Path:
    """``path`` checked by the output guard against the run's inputs; exit 2 if refused."""
    from ..report.output_guard import check_output_file, run_inputs, study_inputs

    inputs = run_inputs([contract], [data_dir])
    if study is not None:
        inputs = inputs + study_inputs(study)
    try:
        return check_output_file(path, inputs, what=what)
    except HormoneStatsError as err:
        _fail(str(err))
        raise  # pragma: no cover - _fail exits


def _open_study(stack, contract: Path, data_dir: Path, scan: bool, scheduler, workers):
    """The study read into memory, or scanned (samples on disk) with --scan."""
    from ..study.reading import read_study
    from ..study.scanning import scan_study

    if not scan:
        if scheduler is not None or workers is not None:
            _fail("--scheduler and --workers apply with --scan (partitions run there)")
        return read_study(contract, data_dir)
    target = _execution_target(stack, scheduler, workers)
    return stack.enter_context(scan_study(contract, data_dir, scheduler=target))


@app.command()
def validate(
    contract: ContractArg = None,
    data_dir: DataArg = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the failures as JSON to this file.")
    ] = None,
    scan: ScanOption = False,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    contract_opt: ContractOpt = None,
    data_opt: DataOpt = None,
) -> None:
    """Check a study's tables against its contract; exit 0 if valid, 2 if not.

    Usage: hormonestats validate CONTRACT DATA_DIR [options].
    """
    from contextlib import ExitStack

    from ..study.validation import validate as run_validate

    contract, data_dir = study_paths(contract, data_dir, contract_opt, data_opt)
    if json_out is not None:  # refused before any work when plainly an input
        _guarded(json_out, contract, data_dir, None, "--json")
    with ExitStack() as stack:
        try:
            study = _open_study(stack, contract, data_dir, scan, scheduler, workers)
            report = run_validate(study)
        except HormoneStatsError as err:
            _fail(str(err))
            return
    if json_out is not None:
        try:
            _guarded(json_out, contract, data_dir, study, "--json").write_text(
                report.to_json(), encoding="utf-8")
        except OSError as err:
            _fail(_os_message(json_out, err))
    console.print(report.summary(), markup=False, soft_wrap=True)
    notes = getattr(study, "notes", ())
    if notes:  # what reading did that the files do not show
        console.print("\nRead with notes:\n" + "\n".join(f"  - {n}" for n in notes),
                      markup=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def qc(
    contract: ContractArg = None,
    data_dir: DataArg = None,
    scan: ScanOption = False,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    contract_opt: ContractOpt = None,
    data_opt: DataOpt = None,
) -> None:
    """Assay, genotype and instrument quality: % below LOD, CVs, HWE/MAF/call rate, alpha/omega,
    ICCs of repeated sampling.

    Usage: hormonestats qc CONTRACT DATA_DIR [options].
    """
    from contextlib import ExitStack

    contract, data_dir = study_paths(contract, data_dir, contract_opt, data_opt)
    with ExitStack() as stack:
        try:
            study = _open_study(stack, contract, data_dir, scan, scheduler, workers)
        except HormoneStatsError as err:
            _fail(str(err))
            return
        _qc(study)


def _qc(study) -> None:
    from ..derive.processing import process_study
    from ..study.validation import validate as run_validate
    from ..workflows.pipeline import reliability_table
    from ..workflows.sampling_qc import sampling_reliability_table

    try:
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
    import pandas as pd

    from ..derive.missingness import missingness

    table = processed.table
    if isinstance(table, pd.DataFrame) and table.isna().any().any():
        summary = missingness(table)
        byvar = summary.by_variable
        show("Missing values by variable", byvar[byvar["n_missing"] > 0])
        if summary.by_session is not None:
            show("Missing values by session", summary.by_session)
        if summary.by_person is not None and len(summary.by_person):
            show(f"Participants with missing values ({len(summary.by_person)})",
                 summary.by_person.sort_values("n_missing", ascending=False).head(10))
        if summary.mcar is not None:
            console.print(summary.sentence(), markup=False, soft_wrap=True)

    sampling = sampling_reliability_table(processed)
    if sampling is not None:
        show("Reliability of repeated sampling (ICC of a random-intercept model; Shrout-Fleiss "
             "ICC1 and ICC1k with 95% CI; Spearman-Brown samples for reliability 0.8)", sampling)


@app.command()
def checklist(
    contract_path: ContractArg = None,
    data_dir: DataArg = None,
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Also write the checklist as an HTML section.")
    ] = None,
    contract: ContractOpt = None,
    data: DataOpt = None,
) -> None:
    """Reporting checklists (CAR, intranasal oxytocin, cycle, assays): met / not met / not recorded.

    Usage: hormonestats checklist CONTRACT DATA_DIR [--html FILE].
    """
    from ..report.checklists import checklist as fill_checklist
    from ..report.checklists import checklist_section_html
    from ..study.reading import read_study

    contract, data = study_paths(contract_path, data_dir, contract, data)
    if html_out is not None:
        _guarded(html_out, contract, data, None, "--html")
    try:
        study = read_study(contract, data)
        table = fill_checklist(study)
    except HormoneStatsError as err:
        _fail(str(err))
        return
    for guideline, rows in table.groupby("guideline", sort=False):
        met = int((rows["status"] == "met").sum())
        console.print(f"\n{guideline}: {met} of {len(rows)} items met", style="bold", markup=False)
        shown = rows.drop(columns="guideline")
        console.print(shown.to_string(index=False), markup=False, soft_wrap=True)
    if html_out is not None:
        target = _guarded(html_out, contract, data, study, "--html")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(checklist_section_html(table), encoding="utf-8")
        except OSError as err:
            _fail(_os_message(html_out, err))


@app.command()
def datasets() -> None:
    """List the bundled datasets with their source and licence."""
    from rich.table import Table

    from ..datasets import list_datasets

    table = Table()
    table.add_column("name", no_wrap=True)
    for name in ("design", "source", "licence", "description"):
        table.add_column(name)
    for row in list_datasets().itertuples():
        table.add_row(row.name, row.design, row.source, row.licence, row.description)
    console.print(table)


@app.command()
def init(
    data_dir: Annotated[Path, typer.Argument(help="Folder holding the study's table files.")],
    out: Annotated[Path, typer.Option(help="Contract file to write.")] = Path("contract.yaml"),
    name: Annotated[str | None, typer.Option(help="Study name (default: the folder's).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Draft a study contract from the data files; what it cannot infer is marked TODO
    with the allowed choices listed. Settle the TODOs, then `hormonestats validate`."""
    from ..report.output_guard import check_output_file, run_inputs
    from ..study.drafting import draft_contract

    if data_dir.is_dir():  # the contract is drafted from the data folder, never written in it
        try:
            check_output_file(out, run_inputs((), [data_dir]), what="--out")
        except HormoneStatsError as err:
            _fail(str(err))
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
