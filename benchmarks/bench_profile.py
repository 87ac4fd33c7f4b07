"""Time of profile-likelihood intervals (``MixedResult.confint_profile()``) against
``lme4::confint(fit, method = "profile")`` measured inside R in the same run (not a test).

Models: sleepstudy ``Reaction ~ Days + (Days | Subject)`` (180 rows, 6 parameters) and
ChickWeight ``weight ~ Time + Diet + (Time | Chick)`` (578 rows, 9 parameters), the reference
data of ``tests/reference``. Each side fits once and times the intervals alone (every SD,
correlation, sigma and fixed effect). lme4 interpolates a spline through profile points; hs
solves each limit by root finding (``models/lmm/profile.py``); the largest difference between
the two sets of limits is printed. Run: ``python benchmarks/bench_profile.py`` (R optional).
"""

from __future__ import annotations

import shutil
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import hormonestats as hs

REF = Path(__file__).resolve().parents[1] / "tests" / "reference"
MODELS = {
    "sleepstudy": ("mixed_engine_sleepstudy.csv", "Reaction ~ Days + (Days | Subject)"),
    "chickweight": ("mixed_inference_chickweight.csv", "weight ~ Time + Diet + (Time | Chick)"),
}
R_SCRIPT = """
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); if ("Diet" %in% names(d)) d$Diet <- as.character(d$Diet)
fit <- lmer(as.formula(args[2]), data = d)
t <- system.time(ci <- suppressWarnings(suppressMessages(
  confint(fit, method = "profile", oldNames = FALSE))))[["elapsed"]]
cat(t, format(ci[, 1], digits = 17), format(ci[, 2], digits = 17), "\\n")
"""


def main() -> None:
    rscript = shutil.which("Rscript")
    print("model        hs (s)   lme4 (s)  ratio  max |hs - lme4| / |limit|")
    for name, (file, formula) in MODELS.items():
        d = pd.read_csv(REF / file, dtype={"Diet": str, "Chick": str})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = hs.mixed(d, formula=formula)
        t0 = time.perf_counter()
        out = fit.confint_profile()
        t_hs = time.perf_counter() - t0
        if rscript is None:
            print(f"{name:12s} {t_hs:7.2f}   (Rscript not installed)")
            continue
        res = subprocess.run([rscript, "-e", R_SCRIPT, str(REF / file), formula],
                             capture_output=True, text=True, check=True)
        vals = np.array(res.stdout.split(), float)
        t_r, lims = vals[0], vals[1:].reshape(2, -1).T
        ours = out[["conf_low", "conf_high"]].to_numpy()
        diff = np.max(np.abs(ours - lims) / np.maximum(np.abs(lims), 1e-8))
        print(f"{name:12s} {t_hs:7.2f}  {t_r:8.2f}  {t_hs / t_r:5.2f}  {diff:.1e}")


if __name__ == "__main__":
    main()
