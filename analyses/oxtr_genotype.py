"""Canned analysis: oxtr genotype (a thin layer over the public API).

Usage: python analyses/oxtr_genotype.py schemas/example_study.yaml \
           hormonestats/datasets/example_study --out results/oxtr_genotype
Options as for ``hormonestats run``: --map ROLE=COLUMN (repeatable), --covariate COL
(repeatable, e.g. --covariate sex), --seed, --n-boot; exit 3 when nothing could be tested.
Same as: hormonestats run oxtr_genotype CONTRACT DATA_DIR --out ...
"""

import sys

from hormonestats.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "oxtr_genotype", *sys.argv[1:]]))
