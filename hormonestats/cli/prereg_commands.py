"""Pre-registration on the command line: ``hormonestats prereg CONTRACT [DATA_DIR]``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from ..errors import HormoneStatsError
from ..options import DEFAULT_SEED
from .common import _fail, _fail_on, _parse_pairs, app, console, err_console
from .study_args import ContractArg, DataArg, ProcessingArgs, processing_options


def _names(values) -> list[str] | None:
    """Hypothesis names from repeated and/or comma-separated options (None: not given)."""
    names = [n.strip() for v in values or [] for n in str(v).split(",") if n.strip()]
    return names or None


@app.command()
def prereg(
    contract: ContractArg = None,
    data_dir: DataArg = None,
    hypotheses: Annotated[list[str] | None, typer.Option(
        "--hypotheses", help="Registered hypotheses to pre-register (repeatable or "
        "comma-separated); default: every one applicable to the study.")] = None,
    n: Annotated[int | None, typer.Option(
        "--n", help="Planned sample size (participants).", min=2)] = None,
    power_for: Annotated[str | None, typer.Option(
        "--power-for", help="Base n on the simulated power of this hypothesis (with --n: the "
        "power at n; without: the n reaching --target-power).")] = None,
    target_power: Annotated[float, typer.Option(help="Power the planned n must reach.")] = 0.8,
    sims: Annotated[int, typer.Option(help="Simulations of the power analysis.", min=10)] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the power analysis.")] = DEFAULT_SEED,
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="role=column, e.g. outcome=iri_ec (repeatable).")] = None,
    covariate: Annotated[list[str] | None, typer.Option(
        "--covariate", help="A column every model is adjusted for (repeatable).")] = None,
    alpha: Annotated[float, typer.Option(help="Level of the family's tests.")] = 0.05,
    fdr_method: Annotated[str, typer.Option(
        "--fdr-method", help="Multiplicity correction: fdr_bh, fdr_by, holm, bonferroni, "
        "hommel.")] = "fdr_bh",
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples of indirect effects.",
                                        min=1)] = 5000,
    impute: Annotated[int, typer.Option(
        help="Missing data: 0 complete cases, m >= 2 multiple imputation (as run --impute).",
        min=0)] = 0,
    lod_policy: ProcessingArgs.LodPolicy = "lod/sqrt2",
    max_cv: ProcessingArgs.MaxCv = 15.0,
    exclude_imprecise: ProcessingArgs.ExcludeImprecise = False,
    outliers: ProcessingArgs.Outliers = "none",
    winsorize_k: ProcessingArgs.WinsorizeK = 3.0,
    transform: ProcessingArgs.Transform = "log",
    out: Annotated[Path, typer.Option(help="Folder for plan.json, preregistration.md and "
                                      ".docx.")] = Path("prereg"),
    replace: Annotated[bool, typer.Option(
        "--replace", help="Replace another plan already in --out (refused otherwise).")] = False,
) -> None:
    """Write the pre-registration before the data: plan.json (hashed), markdown and Word.

    Usage: hormonestats prereg CONTRACT [DATA_DIR] --n 200 --out prereg/. Later,
    hormonestats run ... --prereg prereg/plan.json writes the deviations from it.
    """
    from ..workflows.prereg import preregister

    if contract is None:
        _fail("missing CONTRACT: hormonestats prereg CONTRACT [DATA_DIR] --n N --out FOLDER")
    options = processing_options(lod_policy=lod_policy, max_cv=max_cv,
                                 exclude_imprecise=exclude_imprecise, outliers=outliers,
                                 winsorize_k=winsorize_k, transform=transform)
    try:
        plan = preregister(contract, data_dir, out=out, hypotheses=_names(hypotheses), n=n,
                           mapping=_parse_pairs(map_, "--map"),
                           covariates=list(dict.fromkeys(covariate or [])), options=options,
                           alpha=alpha, fdr_method=fdr_method, n_boot=n_boot, impute=impute,
                           power_for=power_for, target_power=target_power, n_sims=sims,
                           seed=seed, replace=replace)
    except (HormoneStatsError, OSError) as err:
        _fail_on(out, err)
        return
    size = plan.content["sample_size"]
    console.print(f"Pre-registered {len(plan.hypotheses())} hypotheses "
                  f"({', '.join(plan.hypotheses())}); n = {size['n']} ({size['basis']}).",
                  markup=False, soft_wrap=True)
    console.print(f"Plan {plan.stored_hash} frozen {plan.content['created']}", markup=False)
    written = [p.name for p in sorted(out.iterdir()) if p.name != "COMPLETE"]
    console.print(f"Written to {out}: {', '.join(written)}", markup=False, soft_wrap=True)
    if "preregistration.docx" not in written:
        console.print("preregistration.docx not written: python-docx is not installed "
                      "(pip install hormonestats[docx])", markup=False, soft_wrap=True)


def print_deviations(results) -> None:
    """After ``run --prereg``: the deviations (or that there were none), and a loud warning
    when the plan no longer matches its hash."""
    def field(name):  # a run's results, whether a mapping or an object with attributes
        return results.get(name) if isinstance(results, Mapping) else getattr(results, name,
                                                                                None)

    table = field("deviations")
    if table is None:
        return
    plan = field("prereg")
    if not plan.matches:
        err_console.print(f"warning: {plan.integrity()}", markup=False, soft_wrap=True)
    if not len(table):
        console.print(f"No deviations from the pre-registered plan {plan.short_hash} "
                      f"({plan.date}).", markup=False)
        return
    console.print(f"{len(table)} deviations from the pre-registered plan {plan.short_hash} "
                  f"({plan.date}); fill in their reasons in tables/deviations.csv:",
                  markup=False)
    for row in table.itertuples():
        console.print(f"  - {row.deviation}: {row.size}", markup=False, soft_wrap=True)
