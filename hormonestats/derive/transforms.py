"""Transforms of hormone columns: natural log, z-scores, winsorising.

Every function is pure; steps that alter values return :class:`~hormonestats.log.Derived`
``(data, log)`` with one ``"altered"`` row per changed value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..checks import numeric_column, require_columns
from ..errors import DataError, HormoneStatsError, format_rows
from ..log import Derived, combine_logs
from ._logs import fmt_g, log_selected

__all__ = ["log_transform", "winsorize", "zscore"]


def _columns_arg(data: pd.DataFrame, columns, step: str) -> list[str]:
    columns = [columns] if isinstance(columns, str) else list(columns)
    require_columns(data, columns, table="data", step=step)
    return columns


def _positive(data: pd.DataFrame, col: str, nonpos: pd.Series, problems: list) -> bool:
    """Record a problem when a column has values <= 0; True when it has."""
    if nonpos.any():
        problems.append(f"column {col!r} has values <= 0 at {format_rows(data.index[nonpos])}")
    return bool(nonpos.any())


def _result(out, logs, problems, what: str, hint: str) -> Derived:
    """The transformed frame and its log, or one error listing every column's problem."""
    if problems:
        raise DataError(f"data: {what}: " + "; ".join(problems) + f" ({hint})")
    return Derived(out, combine_logs(logs))


def log_transform(data: pd.DataFrame, columns, *, offset: float | None = None) -> Derived:
    """Natural log of hormone columns into new ``log_<col>`` columns.

    Parameters
    ----------
    data : pandas.DataFrame
    columns : str or list of str
    offset : float, optional
        Added to every value of the columns before the log. Without it, zeros or negative
        values raise; with it, every row whose value was <= 0 is logged (``"altered"``).

    Returns
    -------
    Derived

    Raises
    ------
    DataError
        Non-positive values (column and rows named) and no ``offset``; or values that stay
        non-positive after adding it.

    Examples
    --------
    >>> df = pd.DataFrame({"cortisol": [1.0, np.e]})
    >>> log_transform(df, "cortisol").data["log_cortisol"].to_list()
    [0.0, 1.0]
    """
    columns = _columns_arg(data, columns, "log_transform")
    out = data.copy()
    logs, problems = [], []
    for col in columns:
        x = numeric_column(data, col, table="data", step="log_transform")
        nonpos = (x <= 0).fillna(False)
        if offset is None:
            if _positive(data, col, nonpos, problems):
                continue
            shifted = x
        else:
            shifted = x + offset
            still = (shifted <= 0).fillna(False)
            if still.any():
                problems.append(
                    f"column {col!r} is still <= 0 after adding offset {offset:g} at "
                    f"{format_rows(data.index[still])}"
                )
                continue
            def reason(m, col=col, x=x):
                return f"{col} = " + fmt_g(x[m]) + f" <= 0: log_{col} = log({col} + {offset:g})"

            logs.append(log_selected("log_transform", "data", data, nonpos, "altered", reason))
        out[f"log_{col}"] = np.log(shifted)
    return _result(out, logs, problems, "cannot take the natural log",
                   "pass offset=... to add a constant first")


def zscore(data: pd.DataFrame, columns, *, group: str | None = None) -> pd.DataFrame:
    """Standardise columns into new ``z_<col>`` columns ((x - mean) / SD, SD with n - 1).

    Parameters
    ----------
    group : str, optional
        Standardise within the levels of this column (e.g. per analyte or per subject).

    Examples
    --------
    >>> zscore(pd.DataFrame({"t": [1.0, 2.0, 3.0]}), "t")["z_t"].to_list()
    [-1.0, 0.0, 1.0]
    """
    columns = _columns_arg(data, columns, "zscore")
    if group is not None:
        require_columns(data, [group], table="data", step="zscore")
    out = data.copy()
    for col in columns:
        x = numeric_column(data, col, table="data", step="zscore")
        if group is None:
            mean, sd = x.mean(), x.std(ddof=1)
        else:
            g = x.groupby(data[group], dropna=False)
            mean, sd = g.transform("mean"), g.transform(lambda s: s.std(ddof=1))
        out[f"z_{col}"] = (x - mean) / sd
    return out


def winsorize(data: pd.DataFrame, columns, *, k: float = 3.0, scale: str = "log") -> Derived:
    """Clamp extreme values at mean +- k SD into new ``<col>_wins`` columns.

    Parameters
    ----------
    columns : str or list of str
    k : float, default 3
        Number of SDs (SD with n - 1, from all non-missing values).
    scale : {"log", "raw"}
        ``"log"`` (default): limits on the natural-log scale, back-transformed, so the
        limits are geometric (values must be positive); ``"raw"``: on the original scale.

    Returns
    -------
    Derived
        ``log`` has one ``"altered"`` row per changed value. Results with and without
        winsorising should both be reported (Pollet & van der Meij 2017 show that outlier
        handling can flip testosterone findings).

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1.0, 2.0, 3.0, 2.0, 50.0]})
    >>> out, log = winsorize(df, "t", k=1, scale="raw")
    >>> round(float(out["t_wins"].iloc[-1]), 3), len(log)
    (33.078, 1)
    """
    if scale not in ("log", "raw"):
        raise HormoneStatsError(f"winsorize: scale {scale!r} is unknown; allowed: 'log', 'raw'")
    columns = _columns_arg(data, columns, "winsorize")
    out = data.copy()
    logs, problems = [], []
    for col in columns:
        x = numeric_column(data, col, table="data", step="winsorize")
        if scale == "log":
            if _positive(data, col, (x <= 0).fillna(False), problems):
                continue
            t = np.log(x)
        else:
            t = x
        mean, sd = t.mean(), t.std(ddof=1)
        lo, hi = mean - k * sd, mean + k * sd
        if scale == "log":
            lo, hi = np.exp(lo), np.exp(hi)
        low, high = (x < lo).fillna(False), (x > hi).fillna(False)
        new = x.where(~low, lo).where(~high, hi)
        out[f"{col}_wins"] = new
        def reason(m, col=col, x=x, new=new):
            return (f"{col} = " + fmt_g(x[m]) + f" outside mean +- {k:g} SD ({scale} scale): "
                    "set to " + fmt_g(new[m]))

        logs.append(log_selected("winsorize", "data", data, low | high, "altered", reason))
    return _result(out, logs, problems, "cannot winsorize on the log scale",
                   "use scale='raw' or log_transform with an offset")
