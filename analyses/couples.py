"""Canned analysis: couples (actor and partner effects of oxytocin).

Run as ``python analyses/couples.py schemas/couples_study.yaml hormonestats/datasets/couples_study
--out results/couples``, with the options of ``hormonestats run`` (the same analysis)."""

from hormonestats.cli import run_script

if __name__ == "__main__":
    run_script(__file__)
