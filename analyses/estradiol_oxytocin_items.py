"""Canned analysis: item-level RMET accuracy by oxytocin x estradiol (a thin layer over the public API).

Accuracy on each RMET item (scored against the contract's answer key) in a binomial generalized
mixed model with crossed participant and item intercepts; the interaction on the log-odds scale
with its odds ratio, the slopes of log estradiol per arm, a figure of predicted accuracy.

Usage: python analyses/estradiol_oxytocin_items.py schemas/example_study.yaml \
           hormonestats/datasets/example_study --out results/estradiol_oxytocin_items
Options as for ``hormonestats run``: --map ROLE=COLUMN (repeatable), --covariate COL
(repeatable, e.g. --covariate sex), the processing options, --seed; exit 3 when nothing could be
tested.
Same as: hormonestats run estradiol_oxytocin_items CONTRACT DATA_DIR --out ...
"""

import sys

from hormonestats.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "estradiol_oxytocin_items", *sys.argv[1:]]))
