"""Simulate whole studies with known truth: ``hs.simulate_study(design, n=..., seed=...)``.

A simulated study has the same tables as a real one (``subjects``, ``samples``, ``genotypes``,
``responses``, ``treatments`` and, for the cycle design, ``cycles``), a contract built in code
and passed through :func:`~hormonestats.study.contracts.load_contract`, and ``Study.truth``: the true
parameter values on the scale of the analysis model, so that tests and power analyses compare
estimates with the truth.

Where things are (imports point one way: simulator -> designs -> tables -> latent, measure):

* :mod:`~hormonestats.simulate.latent`: default effects (:data:`DEFAULT_EFFECTS`, with their
  sources), outcome scales and the ``between`` design's generative model and truth;
* :mod:`~hormonestats.simulate.between`: the ``between`` design's tables;
* :mod:`~hormonestats.simulate.designs`: the ``cycle``, ``crossover``, ``dyadic`` and ``tsst``
  designs, each documenting its model and truth;
* :mod:`~hormonestats.simulate.tables` and :mod:`~hormonestats.simulate.measure`: the table
  builders and the measurement layer (assay wells, items, genotype calls).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import HormoneStatsError
from .between import simulate_between
from .designs import simulate_crossover, simulate_cycle, simulate_dyadic, simulate_tsst
from .latent import DEFAULT_EFFECTS, DESIGNS, SCALES, latent_between, resolve_effects

__all__ = [
    "DEFAULT_EFFECTS",
    "DESIGNS",
    "MAX_SUBJECTS",
    "SCALES",
    "latent_between",
    "simulate_study",
]

#: The largest study simulated whole (all tables in memory: about 10 kB per subject).
MAX_SUBJECTS = 50_000

_SIMULATORS = {
    "between": simulate_between,
    "cycle": simulate_cycle,
    "crossover": simulate_crossover,
    "dyadic": simulate_dyadic,
    "tsst": simulate_tsst,
}


def simulate_study(design: str, *, n: int, effects: Mapping | None = None, seed=None, **options):
    """Simulate a whole study (all tables, a contract and the truth) for a design.

    Parameters
    ----------
    design : {"between", "cycle", "crossover", "dyadic", "tsst"}
        ``between``: oxytocin vs placebo arm, hormones and genotypes once. ``cycle``:
        naturally cycling women, hormones and a task at several visits per cycle, with a
        ``cycles`` events table. ``crossover``: oxytocin and placebo in two periods (AB/BA).
        ``dyadic``: couples (``dyad_id``, ``role``). ``tsst``: cortisol at -30, -1, 30, 40,
        50, 60, 70 min around a stressor, oxytocin vs placebo.
    n : int
        Subjects (couples for ``dyadic``).
    effects : dict, optional
        Overrides of :data:`DEFAULT_EFFECTS` ``[design]`` (unknown names raise).
    seed : int or numpy.random.SeedSequence, optional
        The same seed gives identical tables.
    **options
        Design options: ``between``: ``female_fraction`` (0.5), ``issues`` (True: a few
        missing samples, skipped items, genotype no-calls and one high-CV duplicate),
        ``name``; ``cycle``: ``n_cycles`` (2), ``visits_per_cycle`` (4); ``crossover``:
        ``icc`` (0.5); ``tsst``: ``serial_phi`` (0: the within-person noise's correlation
        between samples 10 minutes apart, continuous-time AR(1)); others: ``name``.

    Returns
    -------
    Study
        ``truth`` holds ``design``, ``effects``, ``scale`` (the units of the coefficients) and
        ``models``: per outcome, the analysis model's formula and its true coefficients.

    Examples
    --------
    >>> import hormonestats as hs
    >>> study = hs.simulate_study("between", n=40, seed=1)
    >>> sorted(study.tables)
    ['genotypes', 'responses', 'samples', 'subjects', 'treatments']
    >>> round(study.truth["models"]["rmet_total"]["coef"]["rs53576_gg"], 3)
    0.396
    """
    n = int(n)
    if n < 4:
        raise HormoneStatsError(f"n must be at least 4 subjects, got {n}")
    if n > MAX_SUBJECTS:
        raise HormoneStatsError(
            f"n = {n} is above {MAX_SUBJECTS:,} subjects, the largest study simulated whole "
            "(every table is built in memory, about 10 kB per subject); for power at larger "
            "n use hs.power, which needs no tables")
    eff = resolve_effects(design, effects)
    rng = np.random.default_rng(seed)
    options = dict(options)
    return _SIMULATORS[design](rng, n, eff, options)
