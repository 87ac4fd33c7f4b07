"""Canned analysis: crossover oxytocin trial (oxytocin vs placebo within person, AB/BA) (a thin layer over the public API).

Usage: python analyses/crossover_trial.py schemas/crossover_study.yaml hormonestats/datasets/crossover_study \
           --out results/crossover_trial
Options as for ``hormonestats run``: --map ROLE=COLUMN (repeatable), --covariate COL
(repeatable), the processing options (--lod-policy, --max-cv, --outliers, --transform), --seed,
--n-boot; exit 3 when nothing could be tested.
Same as: hormonestats run crossover_trial CONTRACT DATA_DIR --out ...
"""

import sys

from hormonestats.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "crossover_trial", *sys.argv[1:]]))
