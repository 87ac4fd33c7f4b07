"""Benchmark: parallel efficiency of hs.power on 2 local Dask workers (hormonestats.parallel).

A 20,000-simulation power run: ``estradiol_oxytocin`` (RMET ~ female + oxytocin * log
estradiol, key term the interaction) at n = 100, 200, 400, 800 x 5,000 simulations.

* baseline ``T1``: the run in this process (``n_jobs=1``), BLAS limited to one thread (one
  worker's worth of CPU);
* ``T2``: the same run on a ``LocalCluster`` of 2 worker processes x 1 thread
  (:func:`hormonestats.parallel.local_cluster`, what ``hormonestats power --workers 2``
  starts; started and warmed up before timing, as a lab's running cluster would be);
* for comparison: 2 local worker processes (``n_jobs=2``) and a 1-worker ``LocalCluster``.

Parallel efficiency = T1 / (2 x T2); the target is >= 80 %. Each path is timed ``REPEATS``
times, interleaved, and the best time is kept (the 2-core machine may be shared with other
jobs: the load average is printed before and after). The script also checks that every path
gives the identical power table.

Run: ``python benchmarks/bench_parallel.py``.
"""

from __future__ import annotations

import os
import resource
import time

import pandas as pd
from threadpoolctl import threadpool_limits

import hormonestats as hs
from hormonestats.parallel import local_cluster

HYPOTHESIS = "estradiol_oxytocin"
NS = [100, 200, 400, 800]
N_SIMS = 5000  # per n: 20,000 simulations in all
SEED = 2026
REPEATS = 3


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(client=None, **kw) -> tuple[float, float, list[float], pd.DataFrame]:
    """Wall time, CPU time of this process, CPU time of each Dask worker, and the table."""
    before = client.run(_cpu_seconds) if client is not None else {}
    cpu = _cpu_seconds()
    start = time.perf_counter()
    table = hs.power(HYPOTHESIS, n=NS, n_sims=N_SIMS, seed=SEED, progress=False, **kw)
    wall = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu
    after = client.run(_cpu_seconds) if client is not None else {}
    return wall, cpu, [after[w] - before[w] for w in sorted(before)], table


def main() -> None:
    from distributed import Client

    load_before = os.getloadavg()
    with local_cluster(2) as two, local_cluster(1) as one, \
            Client(two, set_as_default=False) as c2, Client(one, set_as_default=False) as c1:
        for target in (two, one):  # warm up: workers import the simulation code
            hs.power(HYPOTHESIS, n=[100], n_sims=500, seed=1, progress=False, scheduler=target)
        hs.power(HYPOTHESIS, n=[100], n_sims=500, seed=1, progress=False, n_jobs=2)
        times: dict[str, list[float]] = {}
        cpus: dict[str, list[tuple[float, list[float]]]] = {}
        tables: dict[str, pd.DataFrame] = {}
        paths = {
            "in process (T1)": {},
            "Dask LocalCluster, 2 workers (T2)": {"scheduler": c2, "client": c2},
            "local processes, n_jobs=2": {"n_jobs": 2},
            "Dask LocalCluster, 1 worker": {"scheduler": c1, "client": c1},
        }
        for _ in range(REPEATS):
            for label, kw in paths.items():
                with threadpool_limits(1):
                    seconds, cpu, workers, tables[label] = run(**kw)
                times.setdefault(label, []).append(seconds)
                cpus.setdefault(label, []).append((cpu, workers))
    load_after = os.getloadavg()

    ref = tables["in process (T1)"]
    for label, table in tables.items():
        pd.testing.assert_frame_equal(ref, table, obj=label)
    best = {label: min(ts) for label, ts in times.items()}
    t1, t2 = best["in process (T1)"], best["Dask LocalCluster, 2 workers (T2)"]
    print(ref[["n", "power", "mc_se", "mean_estimate", "coverage"]].round(3).to_string(index=False))
    print(f"\n{HYPOTHESIS}: {len(NS)} sample sizes x {N_SIMS} simulations "
          f"= {len(NS) * N_SIMS} simulations; best of {REPEATS}")
    for label, ts in times.items():
        print(f"  {label:36s} {best[label]:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in ts)})"
              f"  speed-up {t1 / best[label]:.2f}x")
    print(f"parallel efficiency on 2 Dask workers T1 / (2 T2): {t1 / (2 * t2):.0%} (target 80%)")
    # CPU time does not depend on how much of the machine other jobs take: the work the
    # cluster did (its workers' CPU seconds, summed and per worker) against T1's CPU seconds
    cpu1 = min(c for c, _ in cpus["in process (T1)"])
    main2, workers2 = min(cpus["Dask LocalCluster, 2 workers (T2)"], key=lambda x: sum(x[1]))
    print(f"CPU seconds: T1 {cpu1:.2f}; 2 Dask workers {' + '.join(f'{w:.2f}' for w in workers2)}"
          f" (+ {main2:.2f} in the client: pilot task, scheduling)")
    print(f"CPU-time efficiency T1_cpu / (2 x busiest worker + client): "
          f"{cpu1 / (2 * (max(workers2) + main2)):.0%}; "
          f"total CPU overhead of the cluster path: {(sum(workers2) + main2) / cpu1 - 1:+.0%}")
    print(f"same power table on every path: yes; load average before "
          f"{load_before[0]:.1f}, after {load_after[0]:.1f} (1-min)")


if __name__ == "__main__":
    main()
