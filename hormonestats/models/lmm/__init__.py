"""Linear mixed-model engine on lme4's penalised least squares formulation (Bates, Maechler,
Bolker & Walker 2015): lme4-style formulas (:mod:`.formula`), design matrices (:mod:`.design`),
the profiled deviance (:mod:`.pls`), its optimisation (:mod:`.optimise`), the fitted object
(:mod:`.fit`), inference (:mod:`.inference`) and the shared set-up of every family
(:mod:`.model`). The public entry point is :func:`hormonestats.mixed`."""

from .fit import LMMFit, MixedModelWarning, fit_lmm, variance_components
from .formula import ModelSpec, RandomTerm, parse_formula
from .inference import likelihood_ratio, tidy_rows
from .model import fit_model

__all__ = [
    "LMMFit",
    "MixedModelWarning",
    "ModelSpec",
    "RandomTerm",
    "fit_lmm",
    "fit_model",
    "likelihood_ratio",
    "parse_formula",
    "tidy_rows",
    "variance_components",
]
