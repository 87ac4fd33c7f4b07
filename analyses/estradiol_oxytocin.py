"""Canned analysis: estradiol oxytocin (a thin layer over the public API).

Usage: python analyses/estradiol_oxytocin.py schemas/example_study.yaml \
           hormonestats/datasets/example_study --out results/estradiol_oxytocin
Options as for ``hormonestats run``: --map ROLE=COLUMN (repeatable), --covariate COL
(repeatable, e.g. --covariate sex), --seed, --n-boot; exit 3 when nothing could be tested.
Same as: hormonestats run estradiol_oxytocin CONTRACT DATA_DIR --out ...
"""

import sys

from hormonestats.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "estradiol_oxytocin", *sys.argv[1:]]))
