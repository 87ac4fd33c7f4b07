"""Canned analysis: progesterone anxiety (a thin layer over the public API).

Usage: python analyses/progesterone_anxiety.py schemas/example_study.yaml \
           hormonestats/datasets/example_study --out results/progesterone_anxiety
Options as for ``hormonestats run``: --map ROLE=COLUMN (repeatable), --covariate COL
(repeatable, e.g. --covariate sex), --seed, --n-boot; exit 3 when nothing could be tested.
Same as: hormonestats run progesterone_anxiety CONTRACT DATA_DIR --out ...
"""

import sys

from hormonestats.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "progesterone_anxiety", *sys.argv[1:]]))
