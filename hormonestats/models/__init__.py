"""Hypothesis models: moderation, mediation, conditional process, gene x environment,
censored regression, mixed models, crossover trials and actor–partner models.

Each family lives in its own module and returns one frozen result dataclass with a tidy
``.table`` (see :mod:`hormonestats.models._tidy`).
"""
