"""Trial- and item-level studies with known truth, for generalized mixed models and power:
binary trust-game choices (persons x trials crossed with partners' faces) and RMET item
responses (persons x items crossed), both logistic with crossed random intercepts.

The data sets are long tables ready for ``hs.mixed(..., family="binomial")`` with the formula
given in each function's docstring; the truth is returned beside them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import ModelError

TRUST_EFFECTS = {"intercept": -0.2, "oxytocin": 0.5, "face_trust": 0.6,
                 "sd_subject": 1.0, "sd_face": 0.5}
RMET_EFFECTS = {"intercept": 1.0, "oxytocin": 0.2, "estradiol": 0.1,
                "oxytocin:estradiol": 0.15, "sd_subject": 0.5, "sd_item": 0.8,
                "sd_estradiol": 1.0}


def _effects(defaults: Mapping, given: Mapping | None, what: str) -> dict:
    given = dict(given or {})
    unknown = [k for k in given if k not in defaults]
    if unknown:
        raise ModelError(f"Unknown effect(s) {unknown} for {what}; known: "
                         f"{', '.join(defaults)}.")
    out = {**defaults, **given}
    bad = [k for k in out if k.startswith("sd_") and out[k] < 0]
    if bad:
        raise ModelError(f"Standard deviations {bad} must not be negative.")
    return out


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def simulate_trust_trials(n_subjects: int = 30, n_trials: int = 40, n_faces: int = 20,
                          effects: Mapping | None = None, seed=None
                          ) -> tuple[pd.DataFrame, dict]:
    """Binary trust-game decisions: each person (half given oxytocin, alternating) meets each of
    ``n_faces`` partners' faces ``n_trials / n_faces`` times; the faces' rated trustworthiness
    ``face_trust`` is evenly spread over [-1.5, 1.5]. Model::

        choice ~ oxytocin + face_trust + (1 | subject) + (1 | face)   (logit link)

    Returns (data, truth) with truth the effects used.

    >>> d, truth = simulate_trust_trials(seed=1)
    >>> d.shape, truth["oxytocin"]
    ((1200, 5), 0.5)
    """
    eff = _effects(TRUST_EFFECTS, effects, "the trust game")
    if n_trials % n_faces:
        raise ModelError(f"n_trials ({n_trials}) must be a multiple of n_faces ({n_faces}).")
    rng = _rng(seed)
    subj = np.repeat(np.arange(n_subjects), n_trials)
    face = np.tile(np.arange(n_faces), n_subjects * n_trials // n_faces)
    oxt = (subj % 2).astype(float)
    ft = np.linspace(-1.5, 1.5, n_faces)[face]
    eta = (eff["intercept"] + eff["oxytocin"] * oxt + eff["face_trust"] * ft
           + rng.normal(0, eff["sd_subject"], n_subjects)[subj]
           + rng.normal(0, eff["sd_face"], n_faces)[face])
    choice = (rng.random(eta.size) < 1 / (1 + np.exp(-eta))).astype(float)
    data = pd.DataFrame({"subject": [f"s{i:03d}" for i in subj],
                         "face": [f"f{i:02d}" for i in face],
                         "oxytocin": oxt, "face_trust": ft, "choice": choice})
    return data, eff


def simulate_rmet_items(n_subjects: int = 200, n_items: int = 36,
                        effects: Mapping | None = None, seed=None) -> tuple[pd.DataFrame, dict]:
    """RMET item responses (1 = correct): every person answers every item; half the persons
    receive oxytocin (alternating), ``estradiol`` is a person-level covariate with mean 0 and
    SD ``sd_estradiol`` (1: standardised; the SD of log estradiol, about 0.55 in saliva, puts
    the effects per natural-log unit). Model::

        correct ~ oxytocin * estradiol + (1 | subject) + (1 | item)   (logit link)

    Returns (data, truth).

    >>> d, truth = simulate_rmet_items(n_subjects=10, seed=2)
    >>> d.shape, d["correct"].isin([0, 1]).all()
    ((360, 5), np.True_)
    """
    eff = _effects(RMET_EFFECTS, effects, "the RMET item study")
    rng = _rng(seed)
    pid = np.repeat(np.arange(n_subjects), n_items)
    item = np.tile(np.arange(n_items), n_subjects)
    oxy = (pid % 2).astype(float)
    e2 = rng.normal(0, eff["sd_estradiol"], n_subjects)[pid]
    eta = (eff["intercept"] + eff["oxytocin"] * oxy + eff["estradiol"] * e2
           + eff["oxytocin:estradiol"] * oxy * e2
           + rng.normal(0, eff["sd_subject"], n_subjects)[pid]
           + rng.normal(0, eff["sd_item"], n_items)[item])
    correct = (rng.random(eta.size) < 1 / (1 + np.exp(-eta))).astype(float)
    data = pd.DataFrame({"subject": [f"p{i:03d}" for i in pid],
                         "item": [f"i{i:02d}" for i in item],
                         "oxytocin": oxy, "estradiol": e2, "correct": correct})
    return data, eff
