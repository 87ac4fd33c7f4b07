"""Canned analysis: menstrual cycle (within-person estradiol and progesterone) (a thin layer over the public API).

Usage: python analyses/cycle.py schemas/cycle_study.yaml hormonestats/datasets/cycle_study \
           --out results/cycle
Options as for ``hormonestats run``: --map ROLE=COLUMN (repeatable), --covariate COL
(repeatable), the processing options (--lod-policy, --max-cv, --outliers, --transform), --seed,
--n-boot; exit 3 when nothing could be tested.
Same as: hormonestats run cycle CONTRACT DATA_DIR --out ...
"""

import sys

from hormonestats.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "cycle", *sys.argv[1:]]))
