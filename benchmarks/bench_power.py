"""Benchmark: hs.power (batched OLS) vs a loop of statsmodels formula fits on the same data.

Power curve of the ``estradiol_oxytocin`` hypothesis (RMET ~ female + oxytocin * log
estradiol; key term the interaction) at 10 sample sizes x 1,000 simulations.

* ``hs.power`` runs all 10,000 simulations (n_jobs=1; best of 3 runs).
* The loop regenerates *the same* simulated data (same seeds, same chunks) and fits
  ``smf.ols`` per simulation. It is timed on the first ``LOOP_SIMS`` simulations of every
  sample size and extrapolated linearly to 1,000 (stated in the output); the p-values of the
  two paths are compared on that subset to show they analyse the same data.

Run: ``python benchmarks/bench_power.py`` (prints a table and the ratio).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

import hormonestats as hs
from hormonestats.simulate.latent import latent_between, resolve_effects
from hormonestats.simulate.power import CHUNK

NS = [50, 100, 150, 200, 300, 400, 600, 800, 1200, 1600]
N_SIMS = 1000
LOOP_SIMS = 100  # simulations per n fitted by the smf.ols loop (then extrapolated)
SEED = 2024
REPEATS = 3  # hs.power is timed as the best of 3 runs (the machine may be shared)


def loop_power(n: int, sims: int) -> tuple[float, np.ndarray]:
    """Fit smf.ols on the first ``sims`` simulations hs.power draws at this n."""
    eff = resolve_effects("between", None)
    children = np.random.SeedSequence(SEED).spawn(math.ceil(N_SIMS / CHUNK))
    pvals = []
    start = time.perf_counter()
    for c, child in enumerate(children):
        if c * CHUNK >= sims:
            break
        rng = np.random.default_rng(child)
        lat = latent_between(rng, n, eff, size=min(CHUNK, N_SIMS - c * CHUNK), outcomes=("rmet",))
        for b in range(min(CHUNK, sims - c * CHUNK)):
            frame = pd.DataFrame(
                {k: lat[k][b] for k in ("rmet", "female", "oxytocin", "log_estradiol")}
            )
            fit = smf.ols("rmet ~ female + oxytocin * log_estradiol", frame).fit()
            pvals.append(fit.pvalues["oxytocin:log_estradiol"])
    return time.perf_counter() - start, np.asarray(pvals)


def main() -> None:
    hs.power("estradiol_oxytocin", n=[50], n_sims=10, seed=1, progress=False)  # warm-up
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        tab = hs.power("estradiol_oxytocin", n=NS, n_sims=N_SIMS, seed=SEED, progress=False)
        times.append(time.perf_counter() - start)
    fast = min(times)

    loop_time = 0.0
    agree = []
    for n in NS:
        seconds, pvals = loop_power(n, LOOP_SIMS)
        loop_time += seconds
        # same data: the batched path's rejections on the subset must match the loop's
        from hormonestats.simulate.hypothesis_models import hypothesis_spec

        spec = hypothesis_spec("estradiol_oxytocin", None)
        rng = np.random.default_rng(np.random.SeedSequence(SEED).spawn(1)[0])
        res = spec.draw(rng, n, CHUNK, 0.05)
        agree.append(np.mean(res["reject"][:LOOP_SIMS] == (pvals[:CHUNK] < 0.05)))
    loop_full = loop_time * N_SIMS / LOOP_SIMS
    print(tab[["n", "power", "mc_se", "mean_estimate", "coverage"]].round(3).to_string(index=False))
    print(
        f"\nhs.power: {len(NS)} sample sizes x {N_SIMS} simulations in {fast:.2f} s "
        f"(best of {REPEATS}; all: {', '.join(f'{t:.2f}' for t in times)})"
    )
    print(
        f"smf.ols loop: {LOOP_SIMS} simulations per n in {loop_time:.2f} s -> "
        f"{loop_full:.1f} s extrapolated to {N_SIMS} per n"
    )
    print(f"ratio (loop / hs.power): {loop_full / fast:.0f}x")
    print(f"rejection decisions identical on the fitted subset: {np.mean(agree):.3f}")


if __name__ == "__main__":
    main()
