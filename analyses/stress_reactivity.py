"""Canned analysis: stress reactivity (cortisol AUCi and peak increase by oxytocin arm) (a thin layer over the public API).

Usage: python analyses/stress_reactivity.py schemas/tsst_study.yaml hormonestats/datasets/tsst_study \
           --out results/stress_reactivity
Options as for ``hormonestats run``: --map ROLE=COLUMN (repeatable), --covariate COL
(repeatable), the processing options (--lod-policy, --max-cv, --outliers, --transform), --seed,
--n-boot; exit 3 when nothing could be tested.
Same as: hormonestats run stress_reactivity CONTRACT DATA_DIR --out ...
"""

import sys

from hormonestats.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "stress_reactivity", *sys.argv[1:]]))
