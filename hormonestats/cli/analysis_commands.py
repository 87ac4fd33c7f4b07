"""Commands that analyse a study: run, hypotheses, multiverse, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import HormoneStatsError
from ..options import DEFAULT_SEED
from .common import (
    SchedulerOption,
    WorkersOption,
    _closest_text,
    _execution_target,
    _fail,
    _fail_on,
    _parse_pairs,
    app,
    console,
    err_console,
)
from .helptext import EXIT_NOTHING_TESTED, analysis_names
from .study_args import (
    ContractArg,
    ContractOpt,
    DataArg,
    DataOpt,
    ProcessingArgs,
    processing_options,
    study_paths,
)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Results folder to write.")] = Path("results/demo"),
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress display.")] = False,
) -> None:
    """Run the whole pipeline on the bundled example study."""
    from ..workflows.demo import run_demo

    try:
        run_demo(out=out, console=console, progress=not quiet)
    except (HormoneStatsError, OSError) as err:
        _fail_on(out, err)


def _adjustment(table, covariates) -> str:
    """The covariates the tested models were adjusted for; those no tested model used are
    named as such (never claimed as an adjustment)."""
    if not covariates:
        return ""
    used = set()
    if len(table) and "covariates" in table.columns:
        tested = table[table["status"] == "tested"]
        used = {c.strip() for cell in tested["covariates"] for c in str(cell).split(",")
                if c.strip()}
    adjusted = [c for c in covariates if c in used]
    unused = [c for c in covariates if c not in used]
    text = f"; adjusted for {', '.join(adjusted)}" if adjusted else ""
    if unused:
        text += (f"; not used as a covariate by any tested model: {', '.join(unused)} "
                 "(see the reason column)")
    return text


@app.command()
def run(
    analysis: Annotated[str, typer.Argument(
        help="full_study, a design's analysis (crossover_trial, couples, stress_reactivity, "
        "cycle) or a registered hypothesis name.")],
    contract_path: ContractArg = None,
    data_dir: DataArg = None,
    out: Annotated[Path | None, typer.Option(help="Results folder to write.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = DEFAULT_SEED,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples.", min=1)] = 5000,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="role=column, e.g. outcome=iri_ec (repeatable; roles below); "
                     "overrides the role's default column."),
    ] = None,
    covariate: Annotated[
        list[str] | None,
        typer.Option("--covariate", help="A column every model is adjusted for, e.g. sex "
                     "(repeatable)."),
    ] = None,
    impute: Annotated[
        int, typer.Option(help="Multiply impute missing values m times (e.g. 20) and pool by "
                          "Rubin's rules; 0: complete cases.", min=0)
    ] = 0,
    lod_policy: ProcessingArgs.LodPolicy = "lod/sqrt2",
    max_cv: ProcessingArgs.MaxCv = 15.0,
    exclude_imprecise: ProcessingArgs.ExcludeImprecise = False,
    outliers: ProcessingArgs.Outliers = "none",
    winsorize_k: ProcessingArgs.WinsorizeK = 3.0,
    transform: ProcessingArgs.Transform = "log",
    alpha: Annotated[float, typer.Option(help="Level of the family's tests.")] = 0.05,
    fdr_method: Annotated[str, typer.Option(
        "--fdr-method", help="Multiplicity correction across the family: fdr_bh, fdr_by, holm, "
        "bonferroni, hommel.")] = "fdr_bh",
    exclude_subject: Annotated[list[str] | None, typer.Option(
        "--exclude-subject", help="A participant excluded by hand, ID or ID=reason "
        "(repeatable; logged, and a deviation from a plan).")] = None,
    prereg: Annotated[Path | None, typer.Option(
        "--prereg", help="The pre-registered plan.json (hormonestats prereg): the run is "
        "compared with it and the deviations written.")] = None,
    contract: ContractOpt = None,
    data: DataOpt = None,
) -> None:
    """Run a canned analysis: validate, process, test, figures, report.html, manifest.

    Usage: hormonestats run ANALYSIS CONTRACT DATA_DIR --out FOLDER [options].
    """
    from ..models.claims import DESIGN_ANALYSES
    from ..study.reading import read_study
    from ..workflows.pipeline import run_analysis
    from .tables import results_table, role_table

    names = analysis_names()
    if analysis not in names:
        _fail(f"unknown analysis {analysis!r}{_closest_text(analysis, names)}"
              f"; choose one of: {', '.join(names)}")
    contract_path, data_dir = study_paths(contract_path, data_dir, contract, data)
    if out is None:
        _fail("missing option --out: the results folder to write")
    options = processing_options(lod_policy=lod_policy, max_cv=max_cv,
                                 exclude_imprecise=exclude_imprecise, outliers=outliers,
                                 winsorize_k=winsorize_k, transform=transform)
    mapping = _parse_pairs(map_, "--map")
    covariates = list(dict.fromkeys(covariate or []))
    chosen = (None if analysis == "full_study" else
              list(DESIGN_ANALYSES.get(analysis, (analysis,))))
    excluded = {item.split("=", 1)[0].strip(): item.partition("=")[2].strip()
                for item in exclude_subject or []}
    try:
        plan = None
        if prereg is not None:
            from ..workflows.prereg import load_plan

            plan = load_plan(prereg)  # strict: a bad plan stops the run before any work
        study = read_study(contract_path, data_dir)
        run = run_analysis(study, out=out, seed=seed, n_boot=n_boot, mapping=mapping,
                           covariates=covariates, hypotheses=chosen, impute=impute,
                           options=options, alpha=alpha, fdr_method=fdr_method,
                           exclude_subjects=excluded, prereg=plan,
                           console=console, title=f"hormonestats: {analysis}")
    except (HormoneStatsError, OSError) as err:
        _fail_on(out, err)
        return
    table = run.hypotheses_table
    if len(table):
        console.print(results_table(table, width=console.width))
    plan = run.roles
    skipped = plan[plan["status"] != "applicable"]
    if len(skipped):
        console.print(role_table(skipped, "Not applicable to this study (not in the results)",
                                 width=console.width))
    n_tested = int((table["status"] == "tested").sum()) if len(table) else 0
    console.print(f"{n_tested} of {len(plan)} hypotheses tested" + _adjustment(table, covariates),
                  markup=False)
    from .prereg_commands import print_deviations

    print_deviations(run)
    console.print(f"Results: {run.folder}", markup=False)
    if n_tested == 0:
        err_console.print(
            "nothing could be tested: see the reasons above (`hormonestats hypotheses "
            "CONTRACT DATA_DIR` shows the --map line that maps the missing roles)",
            markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_NOTHING_TESTED)


@app.command("hypotheses")
def hypotheses_cmd(
    contract_path: ContractArg = None,
    data_dir: DataArg = None,
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="role=column to try (repeatable).")
    ] = None,
    contract: ContractOpt = None,
    data: DataOpt = None,
) -> None:
    """Every registered hypothesis (family, roles, claim); with a study (CONTRACT DATA_DIR),
    which roles map to columns on their own, which do not and why, and the --map line that
    fixes it."""
    from ..models.hypotheses import hypotheses
    from ..workflows.roles import ROLES, check_columns, role_plan
    from .tables import map_line, registry_table, role_table

    contract, data = study_paths(contract_path, data_dir, contract, data, required=False)
    console.print(registry_table(hypotheses, ROLES, width=console.width))
    if contract is None:
        console.print("Roles:", style="bold", markup=False)
        for role, text in ROLES.items():
            console.print(f"  {role}: {text}", markup=False)
        return
    from ..derive.processing import process_study
    from ..study.reading import read_study
    from ..study.validation import validate as run_validate

    mapping = _parse_pairs(map_, "--map")
    try:
        study = read_study(contract, data)
        run_validate(study).raise_for_errors()
        table = process_study(study).table
        check_columns(table.columns, mapping=mapping)
    except HormoneStatsError as err:
        _fail(str(err))
        return
    from ..derive.items import study_item_table

    plan = role_plan(table, design=study.contract.design, mapping=mapping,
                     instruments=tuple(study.contract.instruments),
                     items=study_item_table(study) is not None)
    console.print(role_table(plan, f"Roles of study {study.contract.name!r} "
                                   f"(design {study.contract.design})", width=console.width))
    n_ok = int((plan["status"] == "applicable").sum())
    console.print(f"{n_ok} of {len(plan)} hypotheses apply as mapped.", markup=False)
    fix = map_line(plan)
    if fix:
        given = " ".join(f"--map {r}={c}" for r, c in mapping.items())
        console.print("To map the missing roles (best guesses: check them):", markup=False)
        console.print(f"  hormonestats run full_study {contract} {data} "
                      f"--out results {' '.join(p for p in (given, fix) if p)}",
                      markup=False, soft_wrap=True)


@app.command()
def multiverse(
    hypothesis: Annotated[str, typer.Argument(help="A registered hypothesis name.")],
    contract_path: ContractArg = None,
    data_dir: DataArg = None,
    out: Annotated[Path | None, typer.Option(help="Results folder to write.")] = None,
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
    seed: Annotated[int, typer.Option(help="Seed (same seed, same table).")] = DEFAULT_SEED,
    n_jobs: Annotated[int, typer.Option(help="Local worker processes.")] = 1,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    contract: ContractOpt = None,
    data: DataOpt = None,
) -> None:
    """Multiverse analysis: the hypothesis under every combination of the decisions.

    Usage: hormonestats multiverse HYPOTHESIS CONTRACT DATA_DIR --out FOLDER [options].

    Writes the specifications, the combinations that cannot apply (with reasons), the decisions
    that matter, the tests under the null and the specification curve; the same seed gives the
    same tables on any number of workers.
    """
    from contextlib import ExitStack

    from ..models.hypotheses import hypotheses
    from ..study.reading import read_study
    from ..workflows.multiverse_report import write_multiverse

    if hypothesis not in hypotheses:
        _fail(f"unknown hypothesis {hypothesis!r}; choose one of: {', '.join(hypotheses)}")
    contract, data = study_paths(contract_path, data_dir, contract, data)
    if out is None:
        _fail("missing option --out: the results folder to write")
    decisions = {}
    for item in decision or []:
        if "=" not in item:
            _fail(f"--decision expects name=choice,choice, got {item!r}")
        name, choices = item.split("=", 1)
        decisions[name.strip()] = [c.strip() for c in choices.split(",") if c.strip()]
    mapping = {}
    for item in map_ or []:
        if "=" not in item:
            _fail(f"--map expects role=column, got {item!r}")
        role, column = item.split("=", 1)
        mapping[role.strip()] = column.strip()
    try:
        study = read_study(contract, data)
        with ExitStack() as stack:
            where = _execution_target(stack, scheduler, workers)
            result, folder = write_multiverse(
                study, out=out, hypothesis=hypothesis, decisions=decisions or None,
                mapping=mapping or None, covariates=tuple(covariate or ()), n_null=n_null, seed=seed,
                n_jobs=n_jobs, scheduler=where, inputs={"contract": contract, "data": data},
            )
    except (HormoneStatsError, OSError) as err:
        _fail_on(out, err)
        return
    console.print(result.summary(), markup=False, soft_wrap=True)
    console.print(f"Results: {folder}", markup=False)
