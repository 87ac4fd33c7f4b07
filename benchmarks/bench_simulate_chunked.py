"""Peak memory of writing a simulated study to a folder in chunks (``hs.simulate_study(...,
out=)``) against simulating it in memory (the baseline, at the largest in-memory size), each
in a fresh process, measured in the same run.

    python benchmarks/bench_simulate_chunked.py          # in memory at n = 50,000; written at
                                                         # 50,000 and 200,000
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time

CHILD = """
import json, resource, sys, time
import hormonestats as hs
n, mode, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
t = time.perf_counter()
if mode == "memory":
    rows = len(hs.simulate_study("between", n=n, seed=1).tables["samples"])
else:
    info = hs.simulate_study("between", n=n, seed=1, out=out)
    import pyarrow.parquet as pq
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in info["files"])
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - t, "wells": rows}))
"""


def _run(n: int, mode: str, out: str) -> dict:
    res = subprocess.run([sys.executable, "-c", CHILD, str(n), mode, out], capture_output=True,
                         text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    start = time.perf_counter()
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, mode in ((50_000, "memory"), (50_000, "written"), (200_000, "written")):
            r = res[(n, mode)] = _run(n, mode, f"{tmp}/study_{n}")
            print(f"n = {n:>9,}  {mode:8s} peak RSS {r['rss_mb']:7.0f} MB  "
                  f"{r['seconds']:7.1f} s  {r['wells']:,} wells")
    mem, wr = res[(50_000, "memory")], res[(50_000, "written")]
    print(f"ratio at n = 50,000 (in memory / written in chunks, peak RSS): "
          f"{mem['rss_mb'] / wr['rss_mb']:.1f}x; total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
