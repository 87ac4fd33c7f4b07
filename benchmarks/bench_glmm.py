"""Fit time of hs.mixed(..., family="binomial") against R's lme4::glmer timed inside R in the same
run (not a test).

Designs: lme4's VerbAgg (De Boeck & Wilson 2004), ``r2 ~ Anger + Gender + btype + situ + (1 | id)
+ (1 | item)``, 316 persons x 24 items crossed, 7,584 binary rows; and a simulated RMET item study,
``correct ~ oxytocin * estradiol + (1 | subject) + (1 | item)``, 200 persons x 36 items (7,200
rows). Both data sets are the reference CSVs of ``tests/reference/glmm.R``. Rscript reads the same
CSV and times ``glmer`` (default settings: Laplace, bobyqa + Nelder-Mead stages, its own
derivative computation for the standard errors) with ``system.time`` over the repeats (median),
after one warm-up fit. hs.mixed is timed over the whole call (checks, design, both optimisation
stages, the checks at the solution with the finite-difference Hessian that gives the standard
errors, separation checks). Medians of ``--repeat`` runs. Run:
``python benchmarks/bench_glmm.py`` (R optional: without Rscript, only hs.mixed is timed).

Like for like, hs.mixed is timed by maximum likelihood (``reml=False``, glmer's estimator) and,
beside it, with its default restricted likelihood (``reml=True``). Negative binomial
(``family="negative_binomial"``) is timed against ``glmmTMB(family = nbinom2)`` on glmmTMB's
Salamanders (644 rows, 23 sites) and the simulated cooperative-acts study (40 persons x 12
partners crossed) of ``tests/reference/glmm_nbinom.R``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd

import hormonestats as hs

REF = Path(__file__).resolve().parent.parent / "tests" / "reference"
DESIGNS = {
    "VerbAgg 316 x 24 (7,584 rows)": (
        "glmm_verbagg.csv", "r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)"),
    "RMET 200 x 36 (7,200 rows)": (
        "glmm_rmet.csv", "correct ~ oxytocin * estradiol + (1 | subject) + (1 | item)"),
}
NB_DESIGNS = {
    "NB Salamanders (644 rows)": (
        "glmm_nbinom_salamanders.csv", "count ~ mined + spp + (1 | site)"),
    "NB acts 40 x 12 crossed (480 rows)": (
        "glmm_nbinom_coop.csv",
        "acts ~ oxytocin + offset(log(minutes)) + (1 | subject) + (1 | partner)"),
}
R_NB = """
suppressPackageStartupMessages(library(glmmTMB))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); f <- as.formula(args[2]); k <- as.integer(args[3])
fit <- glmmTMB(f, data = d, family = nbinom2)
t <- replicate(k, system.time(glmmTMB(f, data = d, family = nbinom2))[["elapsed"]])
cat(median(t), "\\n")
"""

R_SCRIPT = """
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); f <- as.formula(args[2]); k <- as.integer(args[3])
if ("id" %in% names(d)) d$id <- factor(d$id)
fit <- glmer(f, data = d, family = binomial)
t <- replicate(k, system.time(glmer(f, data = d, family = binomial))[["elapsed"]])
cat(median(t), "\\n")
"""


def time_python(data: pd.DataFrame, formula: str, repeat: int, family: str = "binomial",
                reml: bool = False) -> float:
    hs.mixed(data, formula=formula, family=family, reml=reml)  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        hs.mixed(data, formula=formula, family=family, reml=reml)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def time_r(csv: Path, formula: str, repeat: int, script: str = R_SCRIPT) -> float | None:
    if shutil.which("Rscript") is None:
        return None
    out = subprocess.run(["Rscript", "-e", script, str(csv), formula, str(repeat)],
                         capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []

    def report(label, py, r, baseline):
        rows.append((label, py, baseline, r, py / r if r else float("nan")))
        print(f"{label:44s} hs.mixed {py:6.2f} s   {baseline} {r if r else float('nan'):6.2f} s"
              f"   ratio {rows[-1][4]:.2f}", flush=True)

    for label, (name, formula) in DESIGNS.items():
        data = pd.read_csv(REF / name)
        if "id" in data:
            data["id"] = data["id"].astype(str)
        r = time_r(REF / name, formula, args.repeat)
        report(f"{label}, ML", time_python(data, formula, args.repeat), r, "glmer")
        report(f"{label}, REML (default)", time_python(data, formula, args.repeat, reml=True),
               r, "glmer")
    for label, (name, formula) in NB_DESIGNS.items():
        data = pd.read_csv(REF / name)
        ref = {k: v for k, v in {"mined": "yes", "spp": "GP"}.items() if k in formula}
        py = time_nb(data, formula, args.repeat, ref)
        report(label, py, time_r(REF / name, formula, args.repeat, R_NB), "glmmTMB")
    print(pd.DataFrame(rows, columns=["design", "hs_s", "baseline", "baseline_s", "ratio"])
          .to_string(index=False))


def time_nb(data, formula, repeat, reference) -> float:
    kw = {"formula": formula, "family": "negative_binomial", "reml": False,
          "reference": reference or None}
    hs.mixed(data, **kw)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        hs.mixed(data, **kw)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


if __name__ == "__main__":
    main()
