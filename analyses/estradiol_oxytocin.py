"""Canned analysis: estradiol oxytocin.

Run as ``python analyses/estradiol_oxytocin.py schemas/example_study.yaml hormonestats/datasets/example_study
--out results/estradiol_oxytocin``, with the options of ``hormonestats run`` (the same analysis)."""

from hormonestats.cli import run_script

if __name__ == "__main__":
    run_script(__file__)
