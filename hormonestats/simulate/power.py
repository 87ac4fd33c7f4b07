"""Simulation-based power: ``hs.power(hypothesis, n=[...])`` and ``hs.sample_size_for``.

Fast path: each simulation draws the *analysis-level* data directly (the latent layer of
:func:`hormonestats.simulate.latent.latent_between` for the registered hypotheses; simple generative
models for the families), and a chunk of simulations is analysed at once: the OLS fits of all
simulations are solved together from the stacked normal equations, and their t-tests come from
the stacked ``(X'X)^-1`` (singular designs fall back to
:func:`hormonestats.models._bootstrap.batched_ols`, which marks them NaN). No assay tables are built, so the only difference
from analysing a full simulated study is the (small) assay noise, LOD censoring and the
rounding of scale scores.

Tests per family (two-sided, level ``alpha``)
    * ``moderation``, ``two_group``, registered moderation/main-effect hypotheses: OLS t-test
      of the key term (df = n - p).
    * ``correlation``: the t-test of Pearson's r (identical to the slope t-test); the estimate
      is r, its CI the Fisher-z interval.
    * ``mediation`` and ``testosterone_aromatization``: the joint-significance test (both the
      a and the b path significant; MacKinnon et al. 2002, who found it has close to the
      nominal Type I error and good power). Bootstrapping inside every simulation would be
      far too slow. ``mean_estimate`` is the mean of a*b, and ``coverage`` is that of the
      Monte-Carlo confidence interval of a*b (Preacher & Selig 2012; 1,000 draws per
      simulation).
    * ``crossover``: the exact analysis of the 2x2 crossover on within-subject period
      differences (Jones & Kenward 2014): the difference period 1 - period 2 is regressed on
      the sequence (+1 AB, -1 BA); its slope estimates the treatment effect (plus half any
      carry-over) with a t-test on n - 2 df.
    * ``mixed``: a two-stage random-effects analysis of the random-slope model: one OLS slope
      of the within-person-centred predictor per subject (variance from the pooled
      within-subject residual variance), pooled with inverse-variance weights that include
      the between-subject slope variance estimated by DerSimonian & Laird (1986), and tested
      with the Knapp & Hartung (2003) t-test on n - 1 df. It needs no MixedLM fits; on 150
      data sets per setting its rejection decisions agreed with random-slope MixedLM (REML)
      in 96-99 % of data sets and its power was within Monte-Carlo error of MixedLM's
      (``tests/test_power.py::test_mixed_two_stage_agrees_with_mixedlm``, a slow test).
      Options ``phi`` and ``x_phi`` make the within-person residuals and the predictor AR(1)
      over the occasions (serial correlation of samples close in time; default 0): the
      per-subject slopes then vary more, and the Knapp-Hartung test, which takes its variance
      from the spread of the slopes, about keeps its level (5.8% at phi = 0.7, x_phi = 0.9,
      8 occasions, 30 subjects)
      (``tests/test_mixed_ar1.py::test_power_with_serial_correlation``).

Monte-Carlo error: ``mc_se = sqrt(power (1 - power) / n_sims)``.

The simulations themselves are in :mod:`hormonestats.simulate.hypothesis_models` (registered
hypotheses) and :mod:`hormonestats.simulate.families` (family specs), the batched tests in
:mod:`hormonestats.simulate.batched`; this module runs them and summarises.

Determinism: simulations are split into fixed chunks of ``CHUNK`` simulations; chunk ``c``
draws from ``np.random.SeedSequence(seed).spawn(n_chunks)[c]`` at every sample size (common
random numbers, which makes power curves smooth and bisection stable). The chunks run on
:func:`hormonestats.parallel.map_tasks` (in process, local processes or Dask; batched so each
task pays for its dispatch), and the result is the same for any ``n_jobs`` or scheduler.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import HormoneStatsError
from ..parallel import backend, map_tasks, seed_sequence
from .batched import MAX_N, PowerSpec, run_chunk
from .families import FAMILIES, family_spec
from .hypothesis_models import ALLO_DEFAULTS, HYPOTHESES, WITHIN_DEFAULTS, hypothesis_spec

__all__ = [
    "ALLO_DEFAULTS",
    "CHUNK",
    "FAMILIES",
    "MAX_N",
    "HYPOTHESES",
    "WITHIN_DEFAULTS",
    "power",
    "sample_size_for",
]

#: Simulations per chunk (fixed: results do not depend on n_jobs).
CHUNK = 100


# ------------------------------------------------------------------------------ driver
def _resolve(hypothesis_or_spec, effects) -> PowerSpec:
    if isinstance(hypothesis_or_spec, Mapping):
        return family_spec(hypothesis_or_spec, effects)
    name = getattr(hypothesis_or_spec, "name", hypothesis_or_spec)
    if not isinstance(name, str) or name not in HYPOTHESES:
        raise HormoneStatsError(
            f"unknown hypothesis {name!r}; expected one of: {', '.join(HYPOTHESES)}, or a "
            f"spec such as {{'family': 'moderation', 'effects': {{'x:m': 0.2}}}} with family "
            f"one of: {', '.join(FAMILIES)}"
        )
    return hypothesis_spec(name, effects)


def _spec_for(hypothesis_or_spec, effects, pilot, effect_scale):
    """(spec, effects, stated): the simulation, its effects for the fingerprint, and with a
    pilot the effect stated both ways (None without one)."""
    if pilot is None:
        return _resolve(hypothesis_or_spec, effects), effects, None
    from .pilot import pilot_parameters
    from .pilot_power import pilot_spec

    if isinstance(hypothesis_or_spec, Mapping):
        raise HormoneStatsError(
            "a pilot sets the simulation of a registered hypothesis; a model family spec "
            "takes its effects in SD units (effects=) and no pilot")
    name = getattr(hypothesis_or_spec, "name", hypothesis_or_spec)
    if not effects or set(effects) != {"effect"}:
        raise HormoneStatsError(
            "with a pilot, give the effect of interest as effects={'effect': value} (in the "
            "outcome's units, or standardised with effect_scale='standardised')")
    params = pilot_parameters(pilot)
    spec, stated = pilot_spec(str(name), params, effects["effect"], effect_scale)
    return spec, {**effects, **stated, "pilot": str(params.summary())}, stated


def _check_ns(n) -> list[int]:
    ns = [n] if np.isscalar(n) else list(n)
    if not ns:
        raise HormoneStatsError("n must list at least one sample size")
    out = []
    for v in ns:
        if not float(v).is_integer() or int(v) < 8:
            raise HormoneStatsError(f"sample sizes must be whole numbers >= 8, got {v!r}")
        if int(v) > MAX_N:
            raise HormoneStatsError(
                f"sample size {int(v)} is above {MAX_N:,}, the largest a simulated data set is "
                "drawn at (one data set of that size would not fit in memory); at such sizes "
                f"power is 1 for any effect a model can detect; ask for n <= {MAX_N:,}")
        out.append(int(v))
    return out


def _fingerprint(hypothesis_or_spec, effects, ns, n_sims, alpha, seed_seq) -> str:
    """Identity of a power run (for resuming from a checkpoint folder)."""
    what = getattr(hypothesis_or_spec, "name", hypothesis_or_spec)
    return json.dumps(
        {
            "hypothesis": what,
            "effects": effects,
            "n": ns,
            "n_sims": n_sims,
            "alpha": alpha,
            "seed": [str(seed_seq.entropy), list(seed_seq.spawn_key)],
            "chunk": CHUNK,
        },
        sort_keys=True,
        default=str,
    )


def _simulate(spec, ns, n_sims, alpha, seed_seq, *, n_jobs=1, scheduler=None, progress=False,
              checkpoint=None, resume=False, fingerprint=None) -> pd.DataFrame:
    n_chunks = math.ceil(n_sims / CHUNK)
    children = seed_seq.spawn(n_chunks)
    sizes = [min(CHUNK, n_sims - c * CHUNK) for c in range(n_chunks)]
    tasks = [(n, sizes[c]) for n in ns for c in range(n_chunks)]
    collected = map_tasks(
        partial(run_chunk, spec, alpha),
        tasks,
        seeds=[children[c] for _ in ns for c in range(n_chunks)],
        weights=[n * size for n, size in tasks],
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=progress,
        label=f"power: {spec.name}",
        checkpoint=checkpoint,
        resume=resume,
        fingerprint=fingerprint,
    )
    rows = []
    for n in ns:
        parts = [r for (nn, _), r in zip(tasks, collected) if nn == n]
        valid = np.concatenate([p["valid"] for p in parts])
        reject = np.concatenate([p["reject"] for p in parts])[valid]
        est = np.concatenate([p["est"] for p in parts])[valid]
        cover = np.concatenate([p["cover"] for p in parts])[valid]
        k = int(valid.sum())
        pw = float(reject.mean()) if k else math.nan
        rows.append(
            {
                "hypothesis": spec.name,
                "term": spec.term,
                "n": n,
                "n_sims": k,
                "power": pw,
                "mc_se": math.sqrt(pw * (1 - pw) / k) if k else math.nan,
                "mean_estimate": float(est.mean()) if k else math.nan,
                "true_value": spec.true_value,
                "coverage": float(cover.mean()) if k else math.nan,
                "alpha": alpha,
            }
        )
    return pd.DataFrame(rows)


def _execution(execution, seed, n_jobs, scheduler, progress, *, defaults):
    """Seed, workers, scheduler and progress: keywords given, else ``execution``'s, else the
    function's defaults ``(n_jobs, progress)`` (the seed stays None when neither gives one)."""
    if execution is not None:
        from ..options import ExecutionOptions

        ex = ExecutionOptions.coerce(execution)
        seed = ex.seed if seed is None else seed
        n_jobs = ex.n_jobs if n_jobs is None else n_jobs
        scheduler = ex.scheduler if scheduler is None else scheduler
        progress = ex.progress if progress is None else progress
    return (seed, defaults[0] if n_jobs is None else n_jobs, scheduler,
            defaults[1] if progress is None else progress)


def power(
    hypothesis_or_spec,
    *,
    n=(50, 100, 200, 400),
    effects: Mapping | None = None,
    n_sims: int = 1000,
    alpha: float = 0.05,
    seed=None,
    n_jobs: int | None = None,
    scheduler=None,
    progress: bool | None = None,
    checkpoint=None,
    resume: bool = False,
    pilot=None,
    effect_scale: str = "raw",
    execution=None,
) -> pd.DataFrame:
    """Power of a hypothesis test by simulation, at one or several sample sizes.

    Parameters
    ----------
    hypothesis_or_spec : str, Hypothesis or dict
        A registered hypothesis (:data:`HYPOTHESES`, the names of ``hs.hypotheses``), or a family spec such as ``{"family":
        "moderation", "effects": {"x:m": 0.2}, "x_binary": True}`` (families and their effects
        in :data:`FAMILIES`; effects in SD units of the outcome).
    n : int or sequence of int
        Total sample sizes (subjects; for ``crossover`` both sequences together).
    effects : dict, optional
        Overrides of the effects: names of ``hs.simulate.DEFAULT_EFFECTS["between"]`` for the
        between-person hypotheses, of :data:`WITHIN_DEFAULTS` (``effect``, ``x_sd``,
        ``n_obs``, ``icc``, and the serial correlations ``phi``, ``x_phi``, default 0) for the
        within-person ones, of :data:`ALLO_DEFAULTS` for
        ``progesterone_allopregnanolone_anxiety``, of :data:`FAMILIES` for a spec.
    n_sims : int
        Simulations per sample size.
    alpha : float
        Two-sided significance level.
    seed : int or SeedSequence, optional
        Same seed, same table, whatever ``n_jobs`` or ``scheduler``.
    n_jobs : int
        Local worker processes (-1: all cores); chunks of simulations are batched so each
        task pays for its dispatch (:func:`hormonestats.parallel.map_tasks`).
    scheduler : str, distributed.Client or cluster, optional
        Run on Dask instead: a scheduler address (``"tcp://host:8786"``), a client or a
        ``LocalCluster``.
    progress : bool
        Show a progress bar (rich), advanced as tasks finish.
    checkpoint : str or Path, optional
        Folder that keeps the finished chunks; with ``resume=True`` an interrupted run
        continues from it (same arguments required; another run's folder is refused).
    pilot : Study, ProcessedStudy or PilotParameters, optional
        Plan from a pilot: the simulator's parameters (hormone distributions on their
        measured scale, LOD fractions, correlations, reliabilities of the hormones and
        instruments, ICCs within persons and couples, design shares) are estimated from the
        pilot (:mod:`hormonestats.simulate.pilot`) instead of taken from the package's
        assumptions; measurement error attenuates as it would in the study
        (:mod:`hormonestats.simulate.pilot_power`). ``effects`` is then ``{"effect":
        value}``: the effect of interest in the outcome's own units (``effect_scale="raw"``)
        or standardised (``"standardised"``). For the hypotheses of
        :data:`hormonestats.simulate.pilot_power.PILOT_HYPOTHESES`: every registered
        hypothesis, given a pilot of its design that measured its roles.
    effect_scale : {"raw", "standardised"}
        The scale of the pilot-based effect.
    execution : :class:`~hormonestats.options.ExecutionOptions` or dict, optional
        Seed, workers, scheduler and progress as one object (docs/architecture.md, "Options
        that travel"); ``seed``, ``n_jobs``, ``scheduler`` and ``progress`` given as keywords
        override it.

    Returns
    -------
    DataFrame
        One row per ``n``: ``hypothesis, term, n, n_sims, power, mc_se, mean_estimate,
        true_value, coverage, alpha``. ``coverage`` is that of the 1 - alpha confidence
        interval of the key term. With a pilot also ``effect_raw``, ``effect_standardised``
        and ``effect_units``: the effect stated both ways.

    Examples
    --------
    >>> import hormonestats as hs
    >>> tab = hs.power({"family": "two_group", "effects": {"d": 0.5}}, n=[64, 128],
    ...                n_sims=500, seed=1, progress=False)
    >>> tab[["n", "power", "mc_se"]].round(2)  # closed form (t-test): 0.50 and 0.80
         n  power  mc_se
    0   64   0.50   0.02
    1  128   0.84   0.02
    """
    spec, effects, stated = _spec_for(hypothesis_or_spec, effects, pilot, effect_scale)
    seed, n_jobs, scheduler, progress = _execution(
        execution, seed, n_jobs, scheduler, progress, defaults=(1, True))
    ns = _check_ns(n)
    if int(n_sims) < 1:
        raise HormoneStatsError(f"n_sims must be a positive whole number, got {n_sims!r}")
    if not 0 < alpha < 1:
        raise HormoneStatsError(f"alpha must be between 0 and 1, got {alpha!r}")
    seed_seq = seed_sequence(seed)
    fingerprint = None
    if checkpoint is not None:
        fingerprint = _fingerprint(hypothesis_or_spec, effects, ns, int(n_sims), float(alpha),
                                   seed_seq)
    table = _simulate(
        spec, ns, int(n_sims), float(alpha), seed_seq, n_jobs=n_jobs, scheduler=scheduler,
        progress=bool(progress), checkpoint=checkpoint, resume=resume, fingerprint=fingerprint,
    )
    return table.assign(**stated) if stated is not None else table


def sample_size_for(
    hypothesis_or_spec,
    *,
    power: float = 0.8,
    n_range: tuple[int, int] = (20, 5000),
    effects: Mapping | None = None,
    n_sims: int = 1000,
    alpha: float = 0.05,
    seed=None,
    n_jobs: int | None = None,
    scheduler=None,
    progress: bool | None = None,
    checkpoint=None,
    resume: bool = False,
    execution=None,
    pilot=None,
    effect_scale: str = "raw",
) -> pd.DataFrame:
    """The smallest sample size whose simulated power reaches ``power``.

    Bisection (on a log scale) over whole numbers in ``n_range``, evaluating the simulated
    power with the same seed at every n (common random numbers, so simulated power is close
    to monotone in n). The answer carries Monte-Carlo error: the power at the returned n is
    an estimate with ``mc_se`` (about 0.013 for 1,000 simulations at 80 % power), so
    neighbouring n can be equally good; raise ``n_sims`` to narrow it. ``n_jobs`` and
    ``scheduler`` as for :func:`power` (the workers are kept for all evaluations); with
    ``checkpoint`` each evaluated n keeps its chunks in a subfolder ``n<value>``, and
    ``resume=True`` reuses them after an interruption. ``execution`` as for :func:`power`
    (keywords override it); ``pilot`` and ``effect_scale`` as for :func:`power` (the effect
    then given as ``effects={"effect": value}``).

    Returns
    -------
    DataFrame
        One row: ``hypothesis, term, target_power, n, power, mc_se, n_sims, n_evaluations``;
        with a pilot also ``effect_raw, effect_standardised, effect_units``.

    Raises
    ------
    HormoneStatsError
        If the power at the top of ``n_range`` is below the target.

    Examples
    --------
    >>> import hormonestats as hs
    >>> res = hs.sample_size_for({"family": "two_group", "effects": {"d": 0.8}},
    ...                          n_range=(10, 200), n_sims=200, seed=3)
    >>> 40 <= int(res["n"].iloc[0]) <= 64  # closed form: 52 in total
    True
    """
    seed, n_jobs, scheduler, progress = _execution(
        execution, seed, n_jobs, scheduler, progress, defaults=(1, False))
    lo, hi = (int(v) for v in n_range)
    if not 8 <= lo < hi:
        raise HormoneStatsError(f"n_range must be (low, high) with 8 <= low < high, got {n_range}")
    _check_ns([lo, hi])
    if not 0 < power < 1:
        raise HormoneStatsError(f"power must be between 0 and 1, got {power!r}")
    spec, effects, stated = _spec_for(hypothesis_or_spec, effects, pilot, effect_scale)
    seed_seq = seed_sequence(seed)
    cache: dict[int, dict] = {}
    with backend(n_jobs, scheduler) as be:

        def at(n: int) -> dict:
            if n not in cache:
                folder = fingerprint = None
                if checkpoint is not None:
                    folder = Path(checkpoint) / f"n{n}"
                    fingerprint = _fingerprint(hypothesis_or_spec, effects, [n], int(n_sims),
                                               float(alpha), seed_seq)
                table = _simulate(spec, [n], int(n_sims), float(alpha), seed_seq, scheduler=be,
                                  progress=bool(progress), checkpoint=folder, resume=resume,
                                  fingerprint=fingerprint)
                cache[n] = table.iloc[0].to_dict()
            return cache[n]

        if at(hi)["power"] < power:
            raise HormoneStatsError(
                f"{spec.name}: simulated power at n={hi} is only {at(hi)['power']:.3f} "
                f"(target {power}); raise the upper end of n_range (--n-max on the command "
                "line) or check the effects (--effect)"
            )
        if at(lo)["power"] >= power:
            hi = lo
        while hi - lo > 1:
            mid = int(round(math.sqrt(lo * hi)))
            mid = min(max(mid, lo + 1), hi - 1)
            if at(mid)["power"] >= power:
                hi = mid
            else:
                lo = mid
    best = at(hi)
    table = pd.DataFrame(
        [
            {
                "hypothesis": spec.name,
                "term": spec.term,
                "target_power": power,
                "n": hi,
                "power": best["power"],
                "mc_se": best["mc_se"],
                "n_sims": best["n_sims"],
                "n_evaluations": len(cache),
            }
        ]
    )
    return table.assign(**stated) if stated is not None else table
