"""Canned analysis: menstrual cycle (within-person estradiol and progesterone).

Run as ``python analyses/cycle.py schemas/cycle_study.yaml hormonestats/datasets/cycle_study
--out results/cycle``, with the options of ``hormonestats run`` (the same analysis)."""

from hormonestats.cli import run_script

if __name__ == "__main__":
    run_script(__file__)
