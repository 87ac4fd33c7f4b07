"""Canned analysis: stress reactivity (cortisol AUCi and peak increase by oxytocin arm).

Run as ``python analyses/stress_reactivity.py schemas/tsst_study.yaml hormonestats/datasets/tsst_study
--out results/stress_reactivity``, with the options of ``hormonestats run`` (the same analysis)."""

from hormonestats.cli import run_script

if __name__ == "__main__":
    run_script(__file__)
