"""Multiverse benchmark: 1,000+ specifications of estradiol_oxytocin on the example study.

Baseline, measured in the same run: the loop a researcher would write by hand, process_study
followed by hs.test_hypotheses for every specification, timed on the first specifications and
extrapolated linearly to all of them. Prints wall time for 1 and 2 workers and the ratios.

    python benchmarks/bench_multiverse.py [--workers 2] [--baseline-specs 20]
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

import hormonestats as hs
from hormonestats.workflows.multiverse import _LOD_POLICY, _apply_table_decisions
from hormonestats.workflows.pipeline import DEFAULT_MAPPING

COVARIATE_SETS = [[], ["sex"], ["age"], ["sex", "age"], ["ancestry"], ["sex", "ancestry"],
                  ["age", "ancestry"], ["sex", "age", "ancestry"], ["sex", "contraception"],
                  ["sex", "age", "contraception"]]
DECISIONS = {"lod": ["lod/2", "lod/sqrt2", "excluded", "censored"],
             "max_cv": ["none", "20", "15", "10"], "outliers": ["kept", "winsorized", "excluded"],
             "transform": ["log", "none", "rank_normal"]}


def naive(study, specs):
    """process_study + test_hypotheses per specification (no reuse of the processing)."""
    hyp = hs.hypotheses["estradiol_oxytocin"]
    cols = {a: DEFAULT_MAPPING[r] for a, r in hyp.roles.items()}
    for spec, covs in specs:
        options = {"lod_policy": _LOD_POLICY[spec["lod"]]}
        if spec["max_cv"] != "none":
            options.update(max_cv=float(spec["max_cv"]), exclude_imprecise=True)
        table = hs.process_study(study, **options).table
        table = _apply_table_decisions(table, spec, hyp, cols, {})
        hs.test_hypotheses(table, mapping=DEFAULT_MAPPING, hypotheses=["estradiol_oxytocin"],
                           covariates=covs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline-specs", type=int, default=20)
    args = parser.parse_args()
    study = hs.read_dataset("example_study")
    kw = dict(hypothesis="estradiol_oxytocin", decisions=DECISIONS, mapping=DEFAULT_MAPPING,
              covariate_sets=COVARIATE_SETS, covariates=["sex"], seed=1)
    timings = {}
    for workers in sorted({1, args.workers}):
        t0 = time.perf_counter()
        res = hs.multiverse(study, n_jobs=workers, **kw)
        timings[workers] = time.perf_counter() - t0
    n_tested = int((res.table["status"] == "tested").sum())
    specs = [(dict(zip(DECISIONS, combo)), cov)
             for combo in itertools.product(*DECISIONS.values()) for cov in COVARIATE_SETS
             if combo[0] != "censored"]
    t0 = time.perf_counter()
    naive(study, specs[: args.baseline_specs])
    per_spec = (time.perf_counter() - t0) / args.baseline_specs
    naive_total = per_spec * n_tested
    print(f"load average {os.getloadavg()[0]:.2f}; {n_tested} specifications tested, "
          f"{len(res.skipped)} skipped")
    for workers, secs in timings.items():
        print(f"hs.multiverse, {workers} worker(s): {secs:7.1f} s")
    print(f"naive loop (process_study + test_hypotheses per specification), extrapolated from "
          f"{args.baseline_specs}: {naive_total:7.1f} s")
    best = min(timings.values())
    print(f"ratio naive / hs.multiverse ({args.workers} workers): "
          f"{naive_total / timings[args.workers]:.1f}x; parallel efficiency "
          f"{timings[1] / (args.workers * timings[args.workers]):.0%}; best {best:.1f} s "
          f"(target <= 60 s on 2 workers)")


if __name__ == "__main__":
    main()
