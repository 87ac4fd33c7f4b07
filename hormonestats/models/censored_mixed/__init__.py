"""Gaussian mixed models with a censored outcome (readings below an LOD, above a limit, or in
an interval), fitted by adaptive Gauss–Hermite quadrature or the Laplace approximation."""

from .api import censored_mixed
from .result import CensoredMixedResult, lr_test

__all__ = ["CensoredMixedResult", "censored_mixed", "lr_test"]
