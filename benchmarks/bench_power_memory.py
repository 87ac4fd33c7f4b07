"""Peak memory of a power run: a chunk drawn in batches of at most ROWS_PER_BATCH simulated rows
(the package) against the whole chunk drawn at once (the baseline: ROWS_PER_BATCH set above
n x chunk), each in a fresh process, measured in the same run.

    python benchmarks/bench_power_memory.py            # n = 50,000 and 200,000, 100 data sets
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

CHILD = """
import json, resource, sys, time
from hormonestats.simulate import batched
if sys.argv[2] == "whole":
    batched.ROWS_PER_BATCH = 10**12
from hormonestats.simulate.power import power
t = time.perf_counter()
table = power("estradiol_oxytocin", n=[int(sys.argv[1])], n_sims=100, seed=1)
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - t, "power": float(table["power"].iloc[0])}))
"""


def _run(n: int, mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), mode], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    start = time.perf_counter()
    rows = []
    for n, modes in ((50_000, ("whole", "batched")), (200_000, ("batched",))):
        for mode in modes:
            res = _run(n, mode)
            rows.append((n, mode, res))
            print(f"n = {n:>9,}  {mode:8s} peak RSS {res['rss_mb']:7.0f} MB  "
                  f"{res['seconds']:6.1f} s  power {res['power']:.2f}")
    whole = next(r for n, m, r in rows if n == 50_000 and m == "whole")
    batched = next(r for n, m, r in rows if n == 50_000 and m == "batched")
    print(f"ratio at n = 50,000 (whole / batched peak RSS): "
          f"{whole['rss_mb'] / batched['rss_mb']:.1f}x; total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
