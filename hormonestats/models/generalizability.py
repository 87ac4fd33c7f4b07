"""Generalizability theory for a questionnaire answered repeatedly (diary, daily mood, cycle-day
symptom scales): within- and between-person reliability (Cranford et al. 2006; Shrout & Lane
2012), the coefficients of ``psych::multilevel.reliability``.

The data are persons x occasions x items, fully crossed with one answer per cell. The seven
variance components (person, occasion, item, person x occasion, person x item, occasion x item,
residual) are the ANOVA (expected mean squares) estimators of the three-way crossed design
without replication; as in psych they are used as they come, negative ones included (a
negative estimate says the true component is near zero; the note says so). From them, with
``k`` occasions and ``m`` items:

- ``RkF`` — between-person reliability of the person mean over the k fixed occasions,
- ``R1R`` — reliability of one occasion's scale score with occasions random,
- ``RkR`` — reliability of the person mean over k random occasions,
- ``Rc``  — within-person reliability of change across occasions,

and from the nested model ``y ~ 1 + (1 | person) + (1 | person:occasion)`` fitted by REML
(items as replicates), ``RkRn`` and ``Rcn`` (the between- and within-person reliabilities of
Shrout & Lane's nested design).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..display import ResultDisplay
from ..errors import DataError
from ..results import Summary
from .lmm.design import require_columns
from .lmm.fit import MixedModelWarning
from .lmm.model import fit_model

__all__ = ["GeneralizabilityResult", "multilevel_reliability"]

COMPONENTS = ("person", "occasion", "item", "person:occasion", "person:item", "occasion:item",
              "residual")
COEFFICIENTS = {
    "RkF": "between persons: mean of the k fixed occasions",
    "R1R": "between persons: one random occasion",
    "RkR": "between persons: mean of k random occasions",
    "Rc": "within persons: change across occasions",
    "RkRn": "between persons: mean of k occasions (nested model)",
    "Rcn": "within persons: change across occasions (nested model)",
}


@dataclass(frozen=True)
class GeneralizabilityResult:
    """Generalizability coefficients of a repeated scale.

    Attributes
    ----------
    table : DataFrame
        ``coefficient`` (RkF, R1R, RkR, Rc, RkRn, Rcn), ``description``, ``estimate``.
    components : DataFrame
        ``source, variance, percent, model`` (``"crossed"`` ANOVA components, then the
        ``"nested"`` REML components).
    n_subjects, n_occasions, n_items : int
    n_obs : int
        Answers analysed (persons x occasions x items).
    notes : tuple of str
    """

    table: pd.DataFrame
    components: pd.DataFrame
    n_subjects: int
    n_occasions: int
    n_items: int
    notes: tuple = ()

    @property
    def n_obs(self) -> int:
        return self.n_subjects * self.n_occasions * self.n_items

    def _parts(self):
        return [("Reliability", self.table), ("Variance components", self.components)]

    def _notes(self) -> list[str]:
        return [f"{self.n_subjects} persons x {self.n_occasions} occasions x {self.n_items} "
                "items; generalizability coefficients of Shrout & Lane (2012).", *self.notes]

    def summary(self) -> Summary:
        return Summary(ResultDisplay.text("Multilevel reliability", self._parts(), self._notes()))

    def _repr_html_(self) -> str:
        return ResultDisplay.html("Multilevel reliability", self._parts(), self._notes())

    def __str__(self) -> str:
        return self.summary()


def _cube(data, subject, occasion, items) -> tuple[np.ndarray, list, list]:
    """persons x occasions x items array (complete, one row per person and occasion)."""
    problems = []
    d = data[[subject, occasion, *items]]
    dup = d.duplicated([subject, occasion])
    if dup.any():
        problems.append(f"{int(dup.sum())} row(s) repeat a {subject} x {occasion} pair "
                        f"(first at row {d.index[dup][0]!r})")
    bad = [c for c in items if not pd.api.types.is_numeric_dtype(d[c])]
    if bad:
        problems.append(f"item column(s) {bad} are not numeric")
    na = d[items].isna().any(axis=1) | d[[subject, occasion]].isna().any(axis=1)
    if na.any():
        problems.append(f"{int(na.sum())} row(s) have a missing answer (first at row "
                        f"{d.index[na][0]!r})")
    persons = list(pd.unique(d[subject].dropna()))
    times = list(pd.unique(d[occasion].dropna()))
    if not problems and len(d) != len(persons) * len(times):
        problems.append(f"{len(d)} rows for {len(persons)} persons x {len(times)} occasions: "
                        "every person needs every occasion")
    if len(persons) < 2 or len(times) < 2 or len(items) < 2:
        problems.append(f"need at least 2 persons, 2 occasions and 2 items (got {len(persons)}, "
                        f"{len(times)}, {len(items)})")
    if problems:
        raise DataError("multilevel reliability needs a complete persons x occasions x items "
                        "design: " + "; ".join(problems) + ".")
    idx = pd.MultiIndex.from_product([persons, times])
    x = d.set_index([subject, occasion]).loc[idx, list(items)].to_numpy(float)
    return x.reshape(len(persons), len(times), len(items)), persons, times


def _anova_components(x: np.ndarray) -> dict:
    """Expected-mean-square estimators of the 7 components of a p x t x i design."""
    p, t, i = x.shape
    g = x.mean()
    mp, mt, mi = x.mean((1, 2)), x.mean((0, 2)), x.mean((0, 1))
    mpt, mpi, mti = x.mean(2), x.mean(1), x.mean(0)
    ms = {
        "p": t * i * np.sum((mp - g) ** 2) / (p - 1),
        "t": p * i * np.sum((mt - g) ** 2) / (t - 1),
        "i": p * t * np.sum((mi - g) ** 2) / (i - 1),
        "pt": i * np.sum((mpt - mp[:, None] - mt[None, :] + g) ** 2) / ((p - 1) * (t - 1)),
        "pi": t * np.sum((mpi - mp[:, None] - mi[None, :] + g) ** 2) / ((p - 1) * (i - 1)),
        "ti": p * np.sum((mti - mt[:, None] - mi[None, :] + g) ** 2) / ((t - 1) * (i - 1)),
    }
    res = (x - mpt[:, :, None] - mpi[:, None, :] - mti[None, :, :] + mp[:, None, None]
           + mt[None, :, None] + mi[None, None, :] - g)
    mse = np.sum(res**2) / ((p - 1) * (t - 1) * (i - 1))
    return {
        "person": (ms["p"] - ms["pt"] - ms["pi"] + mse) / (t * i),
        "occasion": (ms["t"] - ms["pt"] - ms["ti"] + mse) / (p * i),
        "item": (ms["i"] - ms["pi"] - ms["ti"] + mse) / (p * t),
        "person:occasion": (ms["pt"] - mse) / i,
        "person:item": (ms["pi"] - mse) / t,
        "occasion:item": (ms["ti"] - mse) / p,
        "residual": mse,
    }


def _nested_components(x: np.ndarray) -> dict:
    """REML components of ``y ~ 1 + (1 | person) + (1 | person:occasion)`` (items replicate)."""
    p, t, i = x.shape
    long = pd.DataFrame({
        "person": np.repeat(np.arange(p), t * i),
        "occasion": np.tile(np.repeat(np.arange(t), i), p),
        "value": x.reshape(-1),
    })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MixedModelWarning)
        lmm, _, _ = fit_model(long, "value ~ 1 + (1 | person) + (1 | person:occasion)",
                              what="nested generalizability model")
    cov = {g: float(c[0, 0]) for (g, _, _), c in zip(lmm.blocks, lmm.covs)}
    return {"person": cov["person"], "person:occasion": cov["person:occasion"],
            "residual": float(lmm.sigma2)}


def multilevel_reliability(
    data: pd.DataFrame, *, subject: str, occasion: str, items: Sequence[str]
) -> GeneralizabilityResult:
    """Within- and between-person reliability of a scale answered on several occasions.

    Parameters
    ----------
    data : DataFrame
        One row per person and occasion, one column per item (reverse-keyed items already
        recoded); every person answers every item on every occasion. Not modified.
    subject, occasion : str
        Person and occasion (day) columns.
    items : sequence of str
        The item columns of the scale.

    Returns
    -------
    GeneralizabilityResult

    Examples
    --------
    Shrout & Lane's (2012) example of 5 persons, 4 occasions and 3 items:

    >>> import pandas as pd, hormonestats as hs
    >>> d = pd.DataFrame({"person": list(range(1, 6)) * 4, "day": sorted([1, 2, 3, 4] * 5),
    ...     "i1": [2, 3, 6, 3, 7, 3, 5, 6, 3, 8, 4, 4, 7, 5, 6, 1, 5, 8, 8, 6],
    ...     "i2": [3, 4, 6, 4, 8, 3, 7, 7, 5, 8, 2, 6, 8, 6, 7, 3, 9, 9, 7, 8],
    ...     "i3": [6, 4, 5, 3, 7, 4, 7, 8, 9, 9, 5, 7, 9, 7, 8, 4, 7, 9, 9, 6]})
    >>> res = hs.multilevel_reliability(d, subject="person", occasion="day", items=["i1", "i2", "i3"])
    >>> res.table.set_index("coefficient")["estimate"].round(3).to_dict()
    {'RkF': 0.968, 'R1R': 0.595, 'RkR': 0.855, 'Rc': 0.742, 'RkRn': 0.848, 'Rcn': 0.647}
    """
    items = [items] if isinstance(items, str) else list(items)
    require_columns(data, {"subject": subject, "occasion": occasion, "items": items})
    x, persons, times = _cube(data, subject, occasion, items)
    _, k, m = x.shape
    c = _anova_components(x)
    vp, vt, vpt, vpi, ve = (c["person"], c["occasion"], c["person:occasion"], c["person:item"],
                            c["residual"])
    between = vp + vpi / m
    n = _nested_components(x)
    coef = {
        "RkF": between / (between + ve / (k * m)),
        "R1R": between / (between + vt + vpt + ve / m),
        "RkR": between / (between + vt / k + vpt / k + ve / (k * m)),
        "Rc": vpt / (vpt + ve / m),
        "RkRn": n["person"] / (n["person"] + n["person:occasion"] / k + n["residual"] / (k * m)),
        "Rcn": n["person:occasion"] / (n["person:occasion"] + n["residual"] / m),
    }
    table = pd.DataFrame({"coefficient": list(coef), "description": list(COEFFICIENTS.values()),
                          "estimate": [float(v) for v in coef.values()]})
    total_c, total_n = sum(c.values()), sum(n.values())
    components = pd.DataFrame(
        [(s, float(v), float(v / total_c), "crossed") for s, v in c.items()]
        + [(s, float(v), float(v / total_n), "nested") for s, v in n.items()],
        columns=["source", "variance", "percent", "model"],
    )
    notes = []
    negative = [s for s, v in c.items() if v < 0]
    if negative:
        notes.append(f"Negative ANOVA variance estimate(s) for {', '.join(negative)}: used as "
                     "they are (as psych does); the true component is probably near zero.")
    return GeneralizabilityResult(table=table, components=components, n_subjects=len(persons),
                                  n_occasions=len(times), n_items=m, notes=tuple(notes))
