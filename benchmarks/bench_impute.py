"""Benchmark: multiple imputation of the example study and the hypothesis family pooled over it.

* baseline ``T1``: one fit of the five-hypothesis family on the example study's analysis table
  (complete cases, 5,000 bootstrap resamples for each indirect effect), in this process;
* ``T_mi``: ``hs.impute(study, m=20)`` (chained equations, 10 sweeps per chain) and
  ``hs.test_hypotheses_imputed`` over the 20 completed tables (5,000 resamples each), both on
  2 local worker processes (``ExecutionOptions(n_jobs=2)``); the process study step included.

Target: ``T_mi`` within 60 s on 2 cores. The ratio ``T_mi / (20 x T1)`` says what imputation and
pooling cost beyond fitting the family 20 times (below 1 / 2 would be perfect use of 2 cores).
The best of ``REPEATS`` runs is kept (the machine may be shared; load averages are printed).

Run: ``python benchmarks/bench_impute.py``.
"""

from __future__ import annotations

import os
import time

import hormonestats as hs
from hormonestats.options import ExecutionOptions
from hormonestats.workflows.roles import DEFAULT_MAPPING

M = 20
N_BOOT = 5000
SEED = 2026
REPEATS = 2


def one_family(study) -> float:
    start = time.perf_counter()
    table = hs.process_study(study).table
    hs.test_hypotheses(table, mapping=DEFAULT_MAPPING, seed=SEED, n_boot=N_BOOT)
    return time.perf_counter() - start


def imputed_family(study, n_jobs: int) -> tuple[float, float, object]:
    execution = ExecutionOptions(seed=SEED, n_jobs=n_jobs)
    start = time.perf_counter()
    imputed = hs.impute(study, m=M, seed=SEED, execution=execution)
    mid = time.perf_counter()
    fam = hs.test_hypotheses_imputed(imputed, mapping=DEFAULT_MAPPING, seed=SEED,
                                     n_boot=N_BOOT, execution=execution)
    end = time.perf_counter()
    return mid - start, end - start, fam


def main() -> None:
    study = hs.read_dataset("example_study")
    print(f"load before: {os.getloadavg()}")
    one_family(study)  # warm-up (imports, caches)
    t1 = min(one_family(study) for _ in range(REPEATS))
    runs = [imputed_family(study, 2) for _ in range(REPEATS)]
    t_imp, t_mi, fam = min(runs, key=lambda r: r[1])
    print(f"load after: {os.getloadavg()}")
    tested = fam.table[fam.table["status"] == "tested"]
    print(f"one family (complete cases, {N_BOOT} resamples): T1 = {t1:.2f} s")
    print(f"m = {M} imputations + pooled family on 2 workers: T_mi = {t_mi:.2f} s "
          f"(imputation {t_imp:.2f} s)")
    print(f"ratio T_mi / ({M} x T1) = {t_mi / (M * t1):.3f}; "
          f"{'within' if t_mi <= 60 else 'OVER'} the 60 s target")
    print(tested[["hypothesis", "estimate", "std_error", "p_value", "fmi"]].to_string(index=False))


if __name__ == "__main__":
    main()
