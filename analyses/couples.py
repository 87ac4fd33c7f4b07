"""Canned analysis: couples (actor and partner effects of oxytocin) (a thin layer over the public API).

Usage: python analyses/couples.py schemas/couples_study.yaml hormonestats/datasets/couples_study \
           --out results/couples
Options as for ``hormonestats run``: --map ROLE=COLUMN (repeatable), --covariate COL
(repeatable), the processing options (--lod-policy, --max-cv, --outliers, --transform), --seed,
--n-boot; exit 3 when nothing could be tested.
Same as: hormonestats run couples CONTRACT DATA_DIR --out ...
"""

import sys

from hormonestats.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "couples", *sys.argv[1:]]))
