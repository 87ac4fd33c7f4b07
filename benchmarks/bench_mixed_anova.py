"""Time of type-III F tests (``MixedResult.anova()``) against ``lmerTest::anova(type = 3)``
measured inside R in the same run (not a test).

Designs: a within-person factor (4 phases) crossed with a between-person factor (3 groups) and a
numeric covariate, ``y ~ phase * group + x + (1 | id)``, with 100 and 1,000 persons x 8
observations; df by Satterthwaite and by Kenward-Roger. The data are simulated here and written to
a temporary CSV; Rscript fits the same model once (``lmerTest::lmer``) and times ``anova`` alone
(``system.time``, median of the repeats after a warm-up). hs is timed the same way: the fit once,
then ``anova()`` alone; the fit time of both is printed too (hs's Kenward-Roger fit includes the
adjusted covariance, R's anova computes it inside the timed call). Run:
``python benchmarks/bench_mixed_anova.py`` (R optional).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import hormonestats as hs

FORMULA = "y ~ phase * group + x + (1 | id)"

R_SCRIPT = """
suppressPackageStartupMessages(library(lmerTest))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); k <- as.integer(args[2]); ddf <- args[3]
tf <- system.time(fit <- lmer(y ~ phase * group + x + (1 | id), data = d))[["elapsed"]]
a <- anova(fit, type = 3, ddf = ddf)
t <- replicate(k, system.time(anova(fit, type = 3, ddf = ddf))[["elapsed"]])
cat(median(t), tf, format(a[["F value"]][1], digits = 17), "\\n")
"""


def data(n_sub: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sid = np.repeat(np.arange(n_sub), 8)
    phase = np.tile(["p1", "p2", "p3", "p4"], 2 * n_sub)
    group = np.array(["a", "b", "c"])[sid % 3]
    x = rng.normal(size=sid.size)
    y = (rng.normal(0, 1, n_sub)[sid] + pd.Series(phase).map({"p1": 0, "p2": .3, "p3": .5,
                                                               "p4": .1}).to_numpy()
         + 0.2 * x + rng.normal(0, 1, sid.size))
    return pd.DataFrame({"id": [f"s{i}" for i in sid], "phase": phase, "group": group, "x": x,
                         "y": y})


def main(repeat: int = 5) -> None:
    print("| design | df | lmerTest::anova | hs .anova() | ratio | fit: lmer / hs.mixed | "
          "F(phase) hs - R |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n_sub in (100, 1000):
            d = data(n_sub)
            csv = tmp / "d.csv"
            d.to_csv(csv, index=False)
            (tmp / "b.R").write_text(R_SCRIPT)
            for ddf, method in (("Satterthwaite", "satterthwaite"),
                                ("Kenward-Roger", "kenward-roger")):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0 = time.perf_counter()
                    fit = hs.mixed(d, formula=FORMULA, df_method=method)
                    t_fit = time.perf_counter() - t0
                times = []
                for _ in range(repeat + 1):
                    t0 = time.perf_counter()
                    table = fit.anova()
                    times.append(time.perf_counter() - t0)
                t_hs = float(np.median(times[1:]))
                r = None
                if shutil.which("Rscript"):
                    out = subprocess.run(["Rscript", str(tmp / "b.R"), str(csv), str(repeat),
                                          ddf], capture_output=True, text=True,
                                         check=True).stdout.split()
                    r = [float(v) for v in out]
                label = f"{n_sub} x 8, `{FORMULA}`"
                if r is None:
                    print(f"| {label} | {ddf} | - | {t_hs:.3f} s | - | - / {t_fit:.2f} s | - |")
                else:
                    diff = table["statistic"].iloc[0] - r[2]
                    print(f"| {label} | {ddf} | {r[0]:.3f} s | {t_hs:.3f} s | "
                          f"{t_hs / max(r[0], 1e-3):.2f} | {r[1]:.2f} s / {t_fit:.2f} s | "
                          f"{diff:.1e} |")


if __name__ == "__main__":
    main()
