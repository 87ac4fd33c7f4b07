"""Fit time of hs.mixed against R's lme4::lmer measured inside R in the same run (not a test).

Designs: ``y ~ x + (x | id)`` (correlated random intercept and slope, REML) with 200, 2,000 and
20,000 subjects x 10 observations, ``y ~ x + (1 | subject) + (1 | plate)`` with 500 subjects
crossed with 20 plates (10,000 rows), and a 200 x 10 random-slope design whose slope variance is
truly zero (a singular fit: the optimiser's checks send it to its restarts). The data are simulated here and written to a temporary
CSV; Rscript reads the same CSV and times ``lmer`` alone with ``system.time`` over the repeats
(median), after one warm-up fit. hs.mixed is timed over the whole call (checks, design, fit,
fixed-effect covariance, null-model ICC) with Satterthwaite df (lmerTest's, which ``lmer`` does
not compute) and with ``df_method="wald"`` (the work ``lmer`` does). Medians of ``--repeat``
runs. Run: ``python benchmarks/bench_mixed.py`` (R optional: without Rscript, only hs.mixed is
timed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from r_timing import rscript_words

import hormonestats as hs

SLOPE = "y ~ x + (x | id)"
CROSSED = "y ~ x + (1 | subject) + (1 | plate)"


def slope_data(n_sub: int, n_obs: int = 10, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sid = np.repeat(np.arange(n_sub), n_obs)
    x = rng.normal(size=sid.size)
    u0 = rng.normal(0, 1, n_sub)[sid]
    u1 = rng.normal(0, 0.3, n_sub)[sid]
    y = 1 + (0.5 + u1) * x + u0 + rng.normal(0, 1, sid.size)
    return pd.DataFrame({"id": [f"s{i}" for i in sid], "x": x, "y": y})


def singular_data(n_sub: int = 200, n_obs: int = 10, seed: int = 0) -> pd.DataFrame:
    """A random slope whose true variance is zero: the fit is singular (boundary), so the
    optimiser's restarts run."""
    rng = np.random.default_rng(seed)
    sid = np.repeat(np.arange(n_sub), n_obs)
    x = rng.normal(size=sid.size)
    y = 1 + 0.5 * x + rng.normal(0, 1, n_sub)[sid] + rng.normal(size=sid.size)
    return pd.DataFrame({"id": [f"s{i}" for i in sid], "x": x, "y": y})


def crossed_data(n_sub: int = 500, n_plate: int = 20, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sid = np.repeat(np.arange(n_sub), n_plate)
    plate = np.tile(np.arange(n_plate), n_sub)
    x = rng.normal(size=sid.size)
    y = 1 + 0.3 * x + rng.normal(0, 1, n_sub)[sid] + rng.normal(0, 0.5, n_plate)[plate]
    y = y + rng.normal(0, 0.7, sid.size)
    return pd.DataFrame(
        {"subject": [f"s{i}" for i in sid], "plate": [f"p{i}" for i in plate], "x": x, "y": y}
    )


R_SCRIPT = """
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); f <- as.formula(args[2]); k <- as.integer(args[3])
fit <- lmer(f, data = d, REML = TRUE)
t <- replicate(k, system.time(lmer(f, data = d, REML = TRUE))[["elapsed"]])
cat(median(t), format(REMLcrit(fit), digits = 17), "\\n")
"""


def time_r(data: pd.DataFrame, formula: str, repeat: int, tmp: Path):
    out = rscript_words(R_SCRIPT, data, [formula, repeat], tmp)
    return (None, None) if out is None else (float(out[0]), float(out[1]))


def time_hs(data: pd.DataFrame, formula: str, repeat: int, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = hs.mixed(data, formula=formula, **kw)  # warm-up
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            hs.mixed(data, formula=formula, **kw)
            times.append(time.perf_counter() - t0)
    return float(np.median(times)), res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-largest", action="store_true", help="leave out 20,000 x 10")
    args = ap.parse_args()
    designs = [
        ("200 x 10, (x | id)", slope_data(200), SLOPE),
        ("2,000 x 10, (x | id)", slope_data(2000), SLOPE),
    ]
    if not args.skip_largest:
        designs.append(("20,000 x 10, (x | id)", slope_data(20000), SLOPE))
    designs.append(("500 subjects x 20 plates, crossed", crossed_data(), CROSSED))
    designs.append(("200 x 10, (x | id), singular fit (restarts)", singular_data(), SLOPE))
    print(
        "| design | lme4::lmer in R | hs.mixed (Satterthwaite) | ratio | hs.mixed (Wald) "
        "| ratio | REML crit. hs - lme4 |"
    )
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for label, data, formula in designs:
            rep = max(1, args.repeat if len(data) < 100_000 else args.repeat // 2)
            t_r, crit_r = time_r(data, formula, rep, Path(tmp))
            t_s, res = time_hs(data, formula, rep)
            t_w, _ = time_hs(data, formula, rep, df_method="wald")
            if t_r is None:
                print(f"| {label} | (no R) | {t_s:.3f} s | | {t_w:.3f} s | | |")
                continue
            print(
                f"| {label} | {t_r:.3f} s | {t_s:.3f} s | {t_s / t_r:.2f} | {t_w:.3f} s | "
                f"{t_w / t_r:.2f} | {res.reml_criterion - crit_r:+.2e} |"
            )


if __name__ == "__main__":
    main()
