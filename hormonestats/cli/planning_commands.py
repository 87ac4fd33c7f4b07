"""Commands that plan a study: power, sample-size."""

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
)
from .helptext import EFFECT_HELP, effect_scale, hypothesis_names


def _power_target(name: str):
    """A registered hypothesis name, or a family spec {'family': name}; else exit 2."""
    names = hypothesis_names()
    if name in names:
        return name
    try:
        from ..simulate import power as power_module

        families = list(getattr(power_module, "FAMILIES", {}))
    except ImportError:  # pragma: no cover - the module is part of the package
        families = []
    if name in families:
        return {"family": name}
    _fail(f"unknown hypothesis {name!r}{_closest_text(name, names + families)}; choose a "
          f"registered hypothesis ({', '.join(names)}) or a model family "
          f"({', '.join(families)})")
    return None


PilotOption = Annotated[
    tuple[Path, Path] | None,
    typer.Option("--pilot", metavar="CONTRACT DATA_DIR",
                 help="Plan from a pilot study: its hormone distributions (measured scale), "
                 "LOD fractions, correlations, reliabilities and ICCs set the simulation; "
                 "give the effect as --effect effect=VALUE."),
]
EffectScaleOption = Annotated[
    str, typer.Option("--effect-scale", help="With --pilot: raw (the outcome's own units) or "
                      "standardised (residual SDs of the outcome; per SD of the log hormone "
                      "for hormone slopes).")
]


def _read_pilot(pilot):
    """The pilot's parameters (None without --pilot); errors leave as HormoneStatsError."""
    if pilot is None:
        return None
    from ..simulate.pilot import pilot_parameters
    from ..study.reading import read_study

    return pilot_parameters(read_study(*pilot))


def _print_pilot_effect(params, table) -> None:
    console.print(params.summary(), markup=False, soft_wrap=True)
    console.print(table.drop(columns=["effect_units"]).to_string(index=False), markup=False,
                  soft_wrap=True)
    row = table.iloc[0]
    console.print(
        f"Effect from the pilot: {row['effect_raw']:.4g} raw = "
        f"{row['effect_standardised']:.4g} standardised ({row['effect_units']}).",
        markup=False, soft_wrap=True)


@app.command()
def power(
    hypothesis: Annotated[str, typer.Argument(help="A registered hypothesis or a model family.")],
    n: Annotated[list[int], typer.Option("--n", help="Sample sizes, e.g. --n 50 100 200.")],
    sims: Annotated[int, typer.Option(help="Simulations per sample size.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed (same seed, same table).")] = DEFAULT_SEED,
    out: Annotated[Path | None, typer.Option(help="Folder for power.csv and the curve.")] = None,
    n_jobs: Annotated[int, typer.Option(help="Local worker processes.")] = 1,
    effect: Annotated[
        list[str] | None, typer.Option("--effect", help=EFFECT_HELP)
    ] = None,
    alpha: Annotated[float, typer.Option(help="Two-sided significance level.")] = 0.05,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    resume: Annotated[
        bool, typer.Option(help="Continue an interrupted run from the chunks kept in --out.")
    ] = False,
    pilot: PilotOption = None,
    effect_scale_opt: EffectScaleOption = "raw",
) -> None:
    """Simulation-based power over sample sizes; writes a table and a power curve.

    Finished chunks of simulations are kept in OUT/chunks while the run lasts, so that
    --resume continues an interrupted run; the same seed gives the same table on any
    number of workers or on a cluster.
    """
    from contextlib import ExitStack

    from ..simulate.power import power as run_power

    target = _power_target(hypothesis)
    effects = _parse_pairs(effect, "--effect", float) or None
    if resume and out is None:
        _fail("--resume needs --out: the folder of the interrupted run")
    if out is not None:  # refused before any simulation writes its chunks there
        from ..report.output_guard import check_results_folder

        try:
            check_results_folder(out)
        except HormoneStatsError as err:
            _fail(str(err))
    params = None
    try:
        params = _read_pilot(pilot)
        with ExitStack() as stack:
            where = _execution_target(stack, scheduler, workers)
            table = run_power(target, n=n, n_sims=sims, seed=seed, n_jobs=n_jobs,
                              effects=effects, alpha=alpha, scheduler=where, progress=True,
                              checkpoint=None if out is None else out / "chunks",
                              resume=resume, pilot=params, effect_scale=effect_scale_opt)
    except (HormoneStatsError, OSError) as err:
        _fail_on(out, err)
        return
    if params is not None:
        _print_pilot_effect(params, table)
    else:
        console.print(table.to_string(index=False), markup=False, soft_wrap=True)
        console.print(f"Effect scale: {effect_scale(hypothesis)}."
                      + (f" Effects set: {effects}." if effects else " Built-in effects."),
                      markup=False, soft_wrap=True)
    if out is not None:
        from ..report import plots, write_report

        ax = plots.power_curve(table)
        try:
            folder = write_report(out, title=f"Power: {hypothesis}", tables={"power": table},
                                  figures={"power_curve": ax})
        except (HormoneStatsError, OSError) as err:
            _fail_on(out, err)
            return
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
    seed: Annotated[int, typer.Option(help="Seed (same seed, same answer).")] = DEFAULT_SEED,
    n_min: Annotated[int, typer.Option(help="Smallest sample size searched.")] = 20,
    n_max: Annotated[int, typer.Option(help="Largest sample size searched.")] = 5000,
    n_jobs: Annotated[int, typer.Option(help="Parallel workers.")] = 1,
    pilot: PilotOption = None,
    effect_scale_opt: EffectScaleOption = "raw",
) -> None:
    """The smallest sample size whose simulated power reaches --power (bisection)."""
    from ..simulate.power import sample_size_for

    spec = _power_target(hypothesis)
    effects = _parse_pairs(effect, "--effect", float) or None
    try:
        params = _read_pilot(pilot)
        table = sample_size_for(spec, power=target, n_range=(n_min, n_max), effects=effects,
                                n_sims=sims, alpha=alpha, seed=seed, n_jobs=n_jobs,
                                pilot=params, effect_scale=effect_scale_opt)
    except (HormoneStatsError, OSError) as err:
        _fail(str(err))
        return
    if params is not None:
        _print_pilot_effect(params, table)
    else:
        console.print(table.to_string(index=False), markup=False, soft_wrap=True)
    row = table.iloc[0]
    scale = ("the pilot's (raw and standardised, above)" if params is not None
             else effect_scale(hypothesis))
    console.print(f"n = {int(row['n'])} reaches power {row['power']:.3f} "
                  f"(Monte-Carlo SE {row['mc_se']:.3f}; target {target}, alpha {alpha}). "
                  f"Effect scale: {scale}.", markup=False, soft_wrap=True)
