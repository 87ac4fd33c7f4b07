"""Why a hypothesis cannot be tested on a table, found before any model is fitted.

A model fitted anyway would report numbers that mean nothing: an outcome that never varies
gives an estimate of 1e-16 with a p value, an outcome among its own covariates explains itself,
a covariate that is a linear function of a predictor leaves the predictor's coefficient
unidentified, and fewer rows than parameters fit exactly. :func:`untestable` names the first
such problem in words; the hypothesis is then reported "not tested" with that reason, never
with a number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["untestable"]

#: role arguments that are not model variables (cluster ids of mixed models)
_NOT_VARIABLES = ("subject",)
#: families whose model has an interaction term of its two predictors
_INTERACTION = ("moderation", "gxe", "item_glmm")


def _columns(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """A model column as numbers: itself when numeric, else indicators of its levels but one."""
    values = frame[column]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float).to_frame(column)
    dummies = pd.get_dummies(values.astype(str), prefix=column, drop_first=True, dtype=float)
    return dummies


def _rank(matrix: np.ndarray) -> int:
    """Numerical rank of a design whose columns are scaled to unit length."""
    if matrix.size == 0:
        return 0
    norms = np.linalg.norm(matrix, axis=0)
    scaled = matrix / np.where(norms > 0, norms, 1.0)
    singular = np.linalg.svd(scaled, compute_uv=False)
    return int((singular > 1e-9 * max(singular.max(), 1e-300)).sum())


def _constant(values: pd.Series) -> bool:
    return values.nunique(dropna=True) < 2


def untestable(data: pd.DataFrame, family: str, columns: Mapping[str, str],
               covariates: Sequence[str]) -> str:
    """The reason a hypothesis's model cannot be fitted meaningfully ('' when it can).

    Parameters
    ----------
    data : DataFrame
        The analysis table.
    family : str
        The hypothesis's model family (``moderation`` and ``gxe`` add an interaction).
    columns : mapping of role argument -> column (``y`` is the outcome).
    covariates : the covariates asked for (a predictor among them is left out: it is in the
        model already; the outcome among them makes the hypothesis untestable).

    Examples
    --------
    >>> d = pd.DataFrame({"y": [3.0] * 5, "x": [1.0, 2, 3, 4, 5]})
    >>> untestable(d, "regression", {"y": "y", "x": "x"}, [])
    'the outcome y has no variance (all 5 complete rows hold 3)'
    >>> d["y"] = [1.0, 3, 2, 5, 4]
    >>> untestable(d, "regression", {"y": "y", "x": "x"}, ["y"])
    'the outcome y is also given as a covariate'
    >>> untestable(d.assign(x2=2 * d["x"]), "regression", {"y": "y", "x": "x"}, ["x2"])
    'the covariate x2 is collinear with the predictors and covariates before it (x)'
    """
    outcome = columns.get("y")
    predictors = [c for a, c in columns.items() if a != "y" and a not in _NOT_VARIABLES]
    if outcome is not None and outcome in covariates:
        return f"the outcome {outcome} is also given as a covariate"
    # a predictor given as a covariate is in the model already: left out as a covariate
    covariates = [c for c in covariates if c not in predictors]
    used = list(dict.fromkeys([c for c in (outcome, *predictors, *covariates) if c]))
    rows = data[used].dropna()
    for column, role in [(outcome, "outcome"), *[(p, "predictor") for p in predictors],
                         *[(c, "covariate") for c in covariates]]:
        if column is not None and _constant(rows[column]):
            shown = rows[column].iloc[0] if len(rows) else None
            held = f"all {len(rows)} complete rows hold {shown:g}" if isinstance(
                shown, int | float | np.number) else (
                f"all {len(rows)} complete rows hold {shown}" if len(rows) else
                "no complete rows")
            return f"the {role} {column} has no variance ({held})"
    blocks = [np.ones((len(rows), 1))]
    names: list[str] = []
    for column in [*predictors, *covariates]:
        block = _columns(rows, column).to_numpy()
        trial = np.hstack([*blocks, block])
        if _rank(trial) < trial.shape[1]:
            what = "predictor" if column in predictors else "covariate"
            before = ", ".join(names) if names else "the intercept"
            return (f"the {what} {column} is collinear with the predictors and covariates "
                    f"before it ({before})")
        blocks.append(block)
        names.append(column)
    n_params = sum(b.shape[1] for b in blocks) + (
        1 if family in _INTERACTION and len(predictors) >= 2 else 0)
    if len(rows) <= n_params:
        return (f"only {len(rows)} complete rows for {n_params} model parameters; a model "
                "needs more rows than parameters")
    return ""
