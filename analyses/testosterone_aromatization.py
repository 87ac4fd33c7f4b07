"""Canned analysis: testosterone aromatization (a thin layer over the public API).

Usage: python analyses/testosterone_aromatization.py schemas/example_study.yaml \
           hormonestats/datasets/example_study --out results/testosterone_aromatization
Options as for ``hormonestats run``: --map ROLE=COLUMN (repeatable), --covariate COL
(repeatable, e.g. --covariate sex), --seed, --n-boot; exit 3 when nothing could be tested.
Same as: hormonestats run testosterone_aromatization CONTRACT DATA_DIR --out ...
"""

import sys

from hormonestats.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "testosterone_aromatization", *sys.argv[1:]]))
