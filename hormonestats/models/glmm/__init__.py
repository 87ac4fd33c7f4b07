"""Generalized linear mixed models (binomial, Poisson and negative binomial) on the mixed-model
engine's formulas and designs: penalised iteratively reweighted least squares for the
conditional modes, the Laplace approximation and adaptive Gauss–Hermite quadrature of the
marginal likelihood (as lme4's ``glmer``: Bates, Maechler, Bolker & Walker 2015), optimised over
the variance parameters and the fixed effects jointly; or, by default, the Laplace restricted
likelihood (glmmTMB's ``REML = TRUE``), whose Wald intervals keep their level with few clusters.

Modules: :mod:`.families` (distributions and links), :mod:`.pirls` (the penalised system and its
sparse factorisation), :mod:`.quadrature` (adaptive Gauss–Hermite), :mod:`.fit` (optimisation,
checks, the fit object), :mod:`.ddf` (between-within df), :mod:`.bootstrap` (parametric
bootstrap), :mod:`.figure` (the result's figure), :mod:`.result` (the public result), :mod:`.api`
(formula extras and the entry point called by :func:`hormonestats.mixed` with ``family=``).
"""
