"""Canned analysis: cortisol oxytocin (a thin layer over the public API).

Usage: python analyses/cortisol_oxytocin.py schemas/example_study.yaml \
           hormonestats/datasets/example_study --out results/cortisol_oxytocin
Options as for ``hormonestats run``: --map ROLE=COLUMN (repeatable), --covariate COL
(repeatable, e.g. --covariate sex), --seed, --n-boot; exit 3 when nothing could be tested.
Same as: hormonestats run cortisol_oxytocin CONTRACT DATA_DIR --out ...
"""

import sys

from hormonestats.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "cortisol_oxytocin", *sys.argv[1:]]))
