"""Peak memory of power above the one-batch limit: a data set drawn in row chunks (the package)
against the same data set drawn as one batch (the baseline: the one-batch limit raised), and
against importing the package alone, each in a fresh process, measured in the same run.

    python benchmarks/bench_power_chunked.py            # n = 2e6, 1e7 (and 1e8 with --huge)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

CHILD = """
import json, resource, sys, time
from hormonestats.simulate import batched, power as power_mod
n, mode, sims = int(float(sys.argv[1])), sys.argv[2], int(sys.argv[3])
if mode == "one-batch":
    batched.MAX_N = power_mod.MAX_N = batched.ROWS_PER_BATCH = 10**12
t = time.perf_counter()
row = {"power": float("nan"), "mean_estimate": float("nan")}
if mode != "import":
    row = power_mod.power("estradiol_oxytocin", n=[n], n_sims=sims, seed=1,
                          progress=False).iloc[0]
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - t, "power": float(row["power"]),
                  "estimate": float(row["mean_estimate"])}))
"""


def _run(n: float, mode: str, sims: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), mode, str(sims)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    start = time.perf_counter()
    cases = [(0, "import", 0), (2e6, "one-batch", 2), (2e6, "chunked", 2), (1e7, "chunked", 2)]
    if "--huge" in sys.argv:
        cases.append((1e8, "chunked", 1))
    res = {}
    for n, mode, sims in cases:
        r = res[(n, mode)] = _run(n, mode, sims)
        print(f"n = {int(n):>11,}  {mode:9s} sims {sims}  peak RSS {r['rss_mb']:7.0f} MB  "
              f"{r['seconds']:7.1f} s  mean estimate {r['estimate']:.4f} (truth 0.54)")
    one, ch = res[(2e6, "one-batch")], res[(2e6, "chunked")]
    print(f"ratio at n = 2,000,000 (one batch / chunked peak RSS): "
          f"{one['rss_mb'] / ch['rss_mb']:.1f}x; total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
