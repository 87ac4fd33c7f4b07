"""Canned analysis: crossover oxytocin trial (oxytocin vs placebo within person, AB/BA).

Run as ``python analyses/crossover_trial.py schemas/crossover_study.yaml hormonestats/datasets/crossover_study
--out results/crossover_trial``, with the options of ``hormonestats run`` (the same analysis)."""

from hormonestats.cli import run_script

if __name__ == "__main__":
    run_script(__file__)
