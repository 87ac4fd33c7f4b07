"""Canned analysis: full study (a thin layer over the public API).

Usage: python analyses/full_study.py schemas/example_study.yaml \
           hormonestats/datasets/example_study --out results/full_study
Options as for ``hormonestats run``: --map ROLE=COLUMN (repeatable), --covariate COL
(repeatable, e.g. --covariate sex), --seed, --n-boot; exit 3 when nothing could be tested.
Same as: hormonestats run full_study CONTRACT DATA_DIR --out ...
"""

import sys

from hormonestats.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "full_study", *sys.argv[1:]]))
