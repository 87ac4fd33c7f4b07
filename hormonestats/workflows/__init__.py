"""Whole-study workflows: the floor above the models and reports (docs/architecture.md).

A workflow reads, validates, processes, fits and writes for a whole study: the canned analyses
(``pipeline``) and their roles, the sensitivity and multiverse analyses, and the demo. Modules
below this floor (``models/``, ``derive/``, ``report/``) take tables and return results; they
never import from here.
"""
