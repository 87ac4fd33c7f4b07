"""Fit time of hs.censored_mixed (not a test).

Design: a simulated within-person hormone study, 200 subjects x 10 samples, ``y ~ x + (1 |
subject_id)`` with 30% of readings below a per-row LOD (left-censored), adaptive Gauss–Hermite
quadrature with the default 20 nodes and the Laplace approximation; and the random-slope model
``y ~ x + (1 + x | subject_id)`` (Laplace). hs.censored_mixed is timed over the whole call
(checks, design, optimisation, Newton polishing, the central-difference Hessian that gives the
standard errors). Medians of ``--repeat`` runs, wall-clock and CPU time of this process (one
BLAS thread: on a loaded shared machine the CPU time is what the fit itself costs).

Named baseline, measured in the same run when Rscript is installed: one evaluation of the
marginal log-likelihood (20-node adaptive quadrature) by the independent R implementation of
``tests/reference/censored_mixed.R`` (base R, no compiled code; no R package fits this model:
GLMMadaptive is not installed here), against one evaluation by hs. A whole fit by the R
implementation takes minutes (hundreds of evaluations), so the per-evaluation ratio is the one
printed. Run: ``python benchmarks/bench_censored_mixed.py``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import hormonestats as hs
from hormonestats.models.censored_mixed.likelihood import CensoredSystem

REF = Path(__file__).resolve().parent.parent / "tests" / "reference" / "censored_mixed.R"


def simulate(n_sub=200, n_rep=10, seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sid = np.repeat(np.arange(n_sub), n_rep)
    x = rng.normal(size=n_sub * n_rep)
    latent = 1 + 0.5 * x + rng.normal(0, 0.8, n_sub)[sid] + rng.normal(0, 0.6, len(sid))
    lod = np.quantile(latent, 0.3)
    cens = latent < lod
    return pd.DataFrame({"subject_id": sid, "x": x, "censored": cens, "lod_limit": lod,
                         "y": np.where(cens, np.nan, latent)})


def median_time(fn, repeat: int, clock=time.perf_counter) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = clock()
        fn()
        times.append(clock() - t)
    return float(np.median(times))


R_EVAL = """
source_lines <- readLines(commandArgs(trailingOnly = TRUE)[1])
stop_at <- grep("^rows <- list", source_lines)[1] - 1
eval(parse(text = source_lines[1:stop_at]))
d <- read.csv(commandArgs(trailingOnly = TRUE)[2])
k <- as.integer(commandArgs(trailingOnly = TRUE)[3])
theta <- as.numeric(strsplit(commandArgs(trailingOnly = TRUE)[4], ",")[[1]])
X <- cbind(1, d$x); Z <- matrix(1, nrow(d), 1)
lo <- ifelse(d$censored == "True", -Inf, d$y); hi <- ifelse(d$censored == "True", d$lod_limit, d$y)
rule <- product_rule(20, 1)
invisible(marginal_loglik(theta, X, Z, d$subject_id, lo, hi, rule))  # warm-up (modes cached)
t <- replicate(k, system.time(v <<- marginal_loglik(theta, X, Z, d$subject_id, lo, hi,
                                                   rule))[["elapsed"]])
cat(median(t), format(v, digits = 15), "\\n")
"""


def r_evaluation(d: pd.DataFrame, theta, repeat: int):
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        script = Path(tmp) / "eval.R"
        d.to_csv(csv, index=False)
        script.write_text(R_EVAL)
        out = subprocess.run(
            ["Rscript", str(script), str(REF), str(csv), str(repeat),
             ",".join(f"{v:.17g}" for v in theta)],
            capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(out.stderr)
        out = out.stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    d = simulate()
    print(f"200 x 10, {d.censored.mean():.0%} below the LOD")
    f_ri = "y ~ x + (1 | subject_id)"
    res = {}
    for label, formula, n_agq in [("random intercept, AGQ 20", f_ri, None),
                                  ("random intercept, Laplace", f_ri, 1),
                                  ("random slope, Laplace", "y ~ x + (1 + x | subject_id)", 1)]:
        def fit(f=formula, k=n_agq):
            return hs.censored_mixed(f, d, n_agq=k)

        t = median_time(fit, args.repeat)
        cpu = median_time(fit, args.repeat, time.process_time)
        res[label] = t
        print(f"hs.censored_mixed {label}: {t:.3f} s wall, {cpu:.3f} s CPU")
    fit = hs.censored_mixed(f_ri, d)
    X = np.column_stack([np.ones(len(d)), d.x])
    lo = np.where(d.censored, -np.inf, d.y)
    hi = np.where(d.censored, d.lod_limit, d.y)
    system = CensoredSystem(X, np.ones((len(d), 1)), d.subject_id.to_numpy(), 200, lo, hi, 20)
    system.loglik(fit.theta)
    t_py = median_time(lambda: system.loglik(fit.theta), 20)
    print(f"hs one log-likelihood evaluation (AGQ 20): {t_py * 1000:.2f} ms")
    r = r_evaluation(d, fit.theta, args.repeat)
    if r is None:
        print("Rscript not found: no baseline")
        return
    t_r, ll_r = r
    print(f"R reference implementation, one evaluation: {t_r * 1000:.1f} ms; ratio hs/R "
          f"{t_py / t_r:.3f}; log-likelihood hs - R {system.loglik(fit.theta) - ll_r:.2e}")


if __name__ == "__main__":
    main()
