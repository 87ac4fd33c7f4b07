"""Fit time of hs.mixed with AR(1) / CAR(1) residual correlation against ``nlme::lme`` with
``corAR1`` / ``corCAR1`` timed inside R in the same run (not a test).

Designs: ``y ~ x + (1 | id)`` with AR(1) over 10 equally spaced occasions for 200 and 2,000
subjects; ``y ~ hours + (hours | id)`` with CAR(1) over 10 irregular sample times for 200
subjects (a diurnal-cortisol shape). The data are simulated here (phi = 0.5) and written to a
temporary CSV; Rscript reads the same CSV and times ``lme`` alone with ``system.time`` over the
repeats (median) after one warm-up fit, with nlme's default control (its default tolerances,
what a user gets). hs.mixed is timed over the whole call (checks, design, joint optimisation of
theta and phi with the optimum's checks, Satterthwaite df with phi among the variance
parameters, phi's interval, null-model ICC) and with ``df_method="wald"``. Medians of
``--repeat`` runs; the log-likelihoods of both are printed (hs - nlme: positive is better).
Run: ``python benchmarks/bench_ar1.py`` (R with nlme optional).
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


def ar1_data(n_sub: int, n_obs: int = 10, phi: float = 0.5, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    e = rng.normal(size=(n_sub, n_obs))
    for k in range(1, n_obs):
        e[:, k] = phi * e[:, k - 1] + np.sqrt(1 - phi**2) * e[:, k]
    x = rng.normal(size=(n_sub, n_obs))
    y = 1 + 0.4 * x + rng.normal(0, 0.8, (n_sub, 1)) + e
    return pd.DataFrame({"id": np.repeat(np.arange(n_sub), n_obs),
                         "occ": np.tile(np.arange(1, n_obs + 1), n_sub),
                         "x": x.ravel(), "y": y.ravel()})


def car1_data(n_sub: int, n_obs: int = 10, phi: float = 0.5, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.cumsum(np.c_[np.zeros(n_sub), rng.uniform(0.25, 2, (n_sub, n_obs - 1))], axis=1)
    e = rng.normal(size=(n_sub, n_obs))
    for k in range(1, n_obs):
        r = phi ** (t[:, k] - t[:, k - 1])
        e[:, k] = r * e[:, k - 1] + np.sqrt(1 - r**2) * e[:, k]
    y = 2.5 - 0.12 * t + rng.normal(0, 0.35, (n_sub, 1)) + rng.normal(0, 0.03, (n_sub, 1)) * t
    y = y + 0.3 * e
    return pd.DataFrame({"id": np.repeat(np.arange(n_sub), n_obs), "hours": t.ravel().round(4),
                         "y": y.ravel()})


R_SCRIPT = """
suppressPackageStartupMessages(library(nlme))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); k <- as.integer(args[3])
fitit <- if (args[2] == "ar1") {
  function() lme(y ~ x, random = ~ 1 | id, correlation = corAR1(form = ~ occ | id), data = d)
} else {
  function() lme(y ~ hours, random = ~ hours | id,
                 correlation = corCAR1(form = ~ hours | id), data = d)
}
fit <- fitit()
t <- replicate(k, system.time(fitit())[["elapsed"]])
cat(median(t), format(as.numeric(logLik(fit)), digits = 17), "\\n")
"""

DESIGNS = {
    "ar1": ("y ~ x + (1 | id)", hs.ar1("occ")),
    "car1": ("y ~ hours + (hours | id)", hs.car1("hours")),
}


def time_r(data: pd.DataFrame, kind: str, repeat: int, tmp: Path):
    out = rscript_words(R_SCRIPT, data, [kind, repeat], tmp)
    return (None, None) if out is None else (float(out[0]), float(out[1]))


def time_hs(data: pd.DataFrame, kind: str, repeat: int, **kw):
    formula, corr = DESIGNS[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = hs.mixed(data, formula=formula, correlation=corr, **kw)  # warm-up
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            hs.mixed(data, formula=formula, correlation=corr, **kw)
            times.append(time.perf_counter() - t0)
    return float(np.median(times)), res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    designs = [
        ("200 x 10, (1 | id), AR(1)", ar1_data(200), "ar1"),
        ("2,000 x 10, (1 | id), AR(1)", ar1_data(2000), "ar1"),
        ("200 x 10, (hours | id), CAR(1), irregular times", car1_data(200), "car1"),
        ("1,000 x 10, (hours | id), CAR(1), irregular times", car1_data(1000), "car1"),
    ]
    print("| design | nlme::lme in R | hs.mixed (Satterthwaite) | ratio | hs.mixed (Wald) "
          "| ratio | logLik hs - nlme |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for label, data, kind in designs:
            t_r, ll_r = time_r(data, kind, args.repeat, Path(tmp))
            t_s, res = time_hs(data, kind, args.repeat)
            t_w, _ = time_hs(data, kind, args.repeat, df_method="wald")
            if t_r is None:
                print(f"| {label} | (no R) | {t_s:.3f} s | | {t_w:.3f} s | | |")
                continue
            ll = -res.deviance / 2
            print(f"| {label} | {t_r:.3f} s | {t_s:.3f} s | {t_s / t_r:.2f} | {t_w:.3f} s | "
                  f"{t_w / t_r:.2f} | {ll - ll_r:+.2e} |")


if __name__ == "__main__":
    main()
