"""Internal-consistency reliability of questionnaire scales: Cronbach's alpha and omega total.

For each scale (or subscale) the items are reverse-keyed first (as the instrument defines)
and incomplete rows are dropped (listwise; ``n`` says how many rows were used). Then:

- **alpha** (Cronbach 1951) from the item covariance matrix, with the F-based interval of
  Feldt, Woodruff & Salih 1987, the method of ``pingouin.cronbach_alpha`` (which rounds its
  interval to 3 decimals) and of ``psych::alpha``'s ``feldt`` element; we compute it
  unrounded with ``df1 = n - 1``, ``df2 = (n - 1)(k - 1)``.
- **omega total** (McDonald 1999) from a one-factor maximum-likelihood factor model of the
  item correlations: ``(sum loadings)^2 / ((sum loadings)^2 + sum uniquenesses)``. The model is
  fitted as R's ``factanal`` and ``psych::fa(fm = "ml")`` do it: the uniquenesses minimise the ML
  discrepancy (L-BFGS-B, bounded to [0.005, 1]), the loadings follow from the first eigenpair
  of the rescaled correlation matrix. This equals ``psych::omega``'s ``omega.tot`` only when the
  model fits exactly (psych divides by the sum of all observed correlations instead).
- **mean inter-item correlation** (``psych::alpha``'s ``average_r``), corrected item-total
  correlations (item vs the sum of the other items; ``r.drop``) and alpha if item deleted.

For the RMET the items are 0/1 correctness against the answer key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..display import ResultDisplay
from ..errors import ContractError, DataError
from ..registry.instruments import Instrument, _item_id, _rows_of, get_instrument
from .scoring import normalise_key as _normalise_key

__all__ = ["ReliabilityResult", "cronbach_alpha", "omega_total", "reliability",
           "study_reliability"]

TABLE_COLUMNS = [
    "scale",
    "n",
    "n_items",
    "alpha",
    "alpha_conf_low",
    "alpha_conf_high",
    "omega_total",
    "mean_inter_item_r",
]
ITEM_COLUMNS = ["scale", "item", "item_total_r", "alpha_if_deleted", "loading"]


@dataclass(frozen=True)
class ReliabilityResult:
    """Reliability of one or more scales.

    Attributes
    ----------
    table : DataFrame
        One row per scale: ``scale, n, n_items, alpha, alpha_conf_low, alpha_conf_high,
        omega_total, mean_inter_item_r``.
    item_table : DataFrame
        One row per scale x item: ``scale, item, item_total_r`` (corrected item-total
        correlation), ``alpha_if_deleted``, ``loading`` (one-factor ML loading).
    conf_level : float
    """

    table: pd.DataFrame
    item_table: pd.DataFrame
    conf_level: float = 0.95

    def _notes(self) -> list[str]:
        pct = f"{100 * self.conf_level:g}%"
        return [
            f"alpha {pct} CI: Feldt, Woodruff & Salih (1987) F-based interval.",
            "omega total from a one-factor maximum-likelihood model (McDonald 1999).",
            "Reverse-keyed items recoded first; incomplete rows dropped listwise.",
        ]

    def summary(self) -> str:
        """Plain-text summary of both tables."""
        return ResultDisplay.text(
            "Scale reliability",
            [("Scales", self.table), ("Items", self.item_table)],
            self._notes(),
        )

    def _repr_html_(self) -> str:
        return ResultDisplay.html(
            "Scale reliability",
            [("Scales", self.table), ("Items", self.item_table)],
            self._notes(),
        )

    def __str__(self) -> str:
        return self.summary()


# --------------------------------------------------------------------------- estimators


def cronbach_alpha(items, conf_level: float = 0.95) -> tuple[float, float, float]:
    """Cronbach's alpha of complete item data, with the Feldt et al. 1987 interval.

    Parameters
    ----------
    items : array-like, shape (n, k)
    conf_level : float

    Returns
    -------
    (alpha, conf_low, conf_high)

    Examples
    --------
    >>> x = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4]])
    >>> round(cronbach_alpha(x)[0], 4)
    0.9485
    """
    x = np.asarray(items, dtype=float)
    n, k = x.shape
    if k < 2 or n < 2:
        return np.nan, np.nan, np.nan
    cov = np.cov(x, rowvar=False, ddof=1)
    total = cov.sum()
    if total <= 0:
        return np.nan, np.nan, np.nan
    alpha = k / (k - 1) * (1 - np.trace(cov) / total)
    a = 1 - conf_level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * stats.f.ppf(1 - a / 2, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(a / 2, df1, df2)
    return float(alpha), float(low), float(high)


def _ml_one_factor(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One-factor ML loadings and uniquenesses of a correlation matrix (factanal's method)."""
    p = corr.shape[0]

    def loadings(psi):
        s = 1 / np.sqrt(psi)
        vals, vecs = np.linalg.eigh(corr * np.outer(s, s))
        top = vecs[:, -1] * np.sqrt(max(vals[-1] - 1, 0.0))
        return np.sqrt(psi) * top

    def objective(psi):
        s = 1 / np.sqrt(psi)
        vals = np.linalg.eigvalsh(corr * np.outer(s, s))[:-1]
        return -np.sum(np.log(vals) - vals) - 1 + p

    def gradient(psi):
        lam = loadings(psi)
        g = np.outer(lam, lam) + np.diag(psi) - corr
        return np.diag(g) / psi**2

    try:  # factanal's start: (1 - 0.5 q / p) / diag(R^-1)
        start = (1 - 0.5 / p) / np.diag(np.linalg.inv(corr))
    except np.linalg.LinAlgError:
        start = np.full(p, 0.5)
    start = np.clip(start, 0.005, 1)
    fit = optimize.minimize(
        objective,
        start,
        jac=gradient,
        method="L-BFGS-B",
        bounds=[(0.005, 1.0)] * p,
        options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 2000},
    )
    psi = fit.x
    lam = loadings(psi)
    if lam.sum() < 0:
        lam = -lam
    uniq = 1 - lam**2
    return lam, uniq


def omega_total(items) -> float:
    """McDonald's omega total from a one-factor ML model of the item correlations.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(2000, 1))
    >>> x = 0.7 * f + rng.normal(scale=np.sqrt(1 - 0.49), size=(2000, 5))
    >>> round(omega_total(x), 2)  # population value 3.5^2 / (3.5^2 + 5 * 0.51) = 0.83
    0.83
    """
    x = np.asarray(items, dtype=float)
    if x.shape[1] < 3:
        return np.nan  # a one-factor model needs at least three items to be identified
    corr = np.corrcoef(x, rowvar=False)
    if not np.all(np.isfinite(corr)):
        return np.nan
    lam, uniq = _ml_one_factor(corr)
    s = lam.sum() ** 2
    return float(s / (s + uniq.sum()))


def _scale_stats(name: str, frame: pd.DataFrame, conf_level: float):
    complete = frame.dropna(axis=0, how="any")
    x = complete.to_numpy(float)
    n, k = x.shape
    alpha, low, high = cronbach_alpha(x, conf_level) if n >= 2 else (np.nan,) * 3
    variances = x.var(axis=0, ddof=1) if n >= 2 else np.zeros(k)
    constant = [str(c) for c, v in zip(frame.columns, variances) if not v > 0]
    if n >= 3 and not constant:
        corr = np.corrcoef(x, rowvar=False)
        mean_r = float(corr[np.triu_indices(k, 1)].mean())
        if k >= 3:
            lam, uniq = _ml_one_factor(corr)
            omega = float(lam.sum() ** 2 / (lam.sum() ** 2 + uniq.sum()))
        else:
            lam, omega = np.full(k, np.nan), np.nan
    else:
        mean_r, omega, lam = np.nan, np.nan, np.full(k, np.nan)
    row = {
        "scale": name,
        "n": int(n),
        "n_items": int(k),
        "alpha": alpha,
        "alpha_conf_low": low,
        "alpha_conf_high": high,
        "omega_total": omega,
        "mean_inter_item_r": mean_r,
    }
    item_rows = []
    total = x.sum(axis=1)
    for j, col in enumerate(frame.columns):
        rest = total - x[:, j]
        if n >= 3 and x[:, j].std() > 0 and rest.std() > 0:
            r_drop = float(np.corrcoef(x[:, j], rest)[0, 1])
        else:
            r_drop = np.nan
        others = np.delete(x, j, axis=1)
        a_drop = cronbach_alpha(others, conf_level)[0] if k > 2 else np.nan
        item_rows.append(
            {
                "scale": name,
                "item": str(col),
                "item_total_r": r_drop,
                "alpha_if_deleted": a_drop,
                "loading": float(lam[j]),
            }
        )
    return row, item_rows, constant


# --------------------------------------------------------------------------- front end


def _scales_from_instrument(data, inst: Instrument, key, subject: str):
    """{scale name: wide keyed item frame} for one instrument."""
    if inst.scoring == "trust_game":
        raise ContractError("the trust game has no items to compute reliability over")
    if "item" in data.columns and "response" in data.columns:
        rows = _rows_of(data, inst)
        if rows.empty:
            raise DataError(f"responses table has no rows for instrument {inst.name!r}")
        idx = [subject] + (["session"] if "session" in rows.columns else [])
        rows = rows.assign(
            _item=rows["item"].map(_item_id),
            _value=pd.to_numeric(rows["response"], errors="coerce").astype(float),
        )
        rows = rows.loc[rows["_item"].isin(inst.items)]
        dup = rows.duplicated(idx + ["_item"])
        if dup.any():
            raise DataError(
                f"responses table, instrument {inst.name!r}: repeated item responses for one "
                f"{' x '.join(idx)}"
            )
        wide = rows.pivot(index=idx, columns="_item", values="_value")
        wide = wide.reindex(columns=list(inst.items))
    else:
        cols = {item: f"{inst.name}_{item}" for item in inst.items}
        missing = [c for c in cols.values() if c not in data.columns]
        if missing:
            raise DataError(
                f"wide item frame lacks columns for {inst.name}: {', '.join(missing[:5])}"
                + (" ..." if len(missing) > 5 else "")
                + f" (expected columns named '{inst.name}_<item>')"
            )
        wide = data[list(cols.values())].apply(pd.to_numeric, errors="coerce").astype(float)
        wide.columns = list(cols)
    if inst.scoring == "key":
        answers = _normalise_key(inst, key)
        wide = pd.DataFrame(
            {i: (wide[i] == answers[i]).astype(float).where(wide[i].notna()) for i in inst.items}
        )
    else:
        wide = wide.copy()
        for item in inst.reverse:
            wide[item] = inst.response_min + inst.response_max - wide[item]
    return {f"{inst.prefix}_{sub}": wide[list(members)] for sub, members in inst.subscales.items()}


def reliability(
    data: pd.DataFrame,
    *,
    instrument=None,
    items=None,
    key=None,
    subject: str = "subject_id",
    conf_level: float = 0.95,
) -> ReliabilityResult:
    """Cronbach's alpha (with CI), omega total and item statistics per scale or subscale.

    Parameters
    ----------
    data : DataFrame
        Either the long responses table (``subject_id, [session,] instrument, item,
        response``) with ``instrument``, or a wide frame with one column per item.
    instrument : str or Instrument, optional
        Defines the subscales and the reverse-keyed items. With a wide frame the item
        columns must be named ``<instrument>_<item>`` (e.g. ``iri_3``).
    items : sequence or Mapping[str, sequence], optional
        Wide frame without an instrument: item columns of one scale, or scale name ->
        columns. Items are used as given (reverse-key them first).
    key : Mapping, optional
        Answer key for instruments scored against a key (RMET); reliability is then computed
        on the 0/1 correctness items.
    subject : str
        Subject id column (long format).
    conf_level : float
        Level of the alpha interval.

    Returns
    -------
    ReliabilityResult

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=300)
    >>> wide = pd.DataFrame({f"q{i}": f + rng.normal(size=300) for i in range(1, 6)})
    >>> res = reliability(wide, items=list(wide.columns))
    >>> res.table[["scale", "n", "n_items"]]
       scale    n  n_items
    0  scale  300        5
    >>> bool(0.8 < res.table["alpha"].iloc[0] < 0.9)
    True
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if not 0 < conf_level < 1:
        raise ContractError(f"conf_level must be between 0 and 1, got {conf_level}")
    if instrument is not None:
        scales = _scales_from_instrument(data, get_instrument(instrument), key, subject)
    elif items is not None:
        mapping = items if isinstance(items, Mapping) else {"scale": list(items)}
        scales = {}
        for name, cols in mapping.items():
            cols = list(cols)
            missing = [c for c in cols if c not in data.columns]
            if missing:
                raise DataError(
                    f"item frame lacks column(s) {', '.join(map(repr, missing))} of scale {name!r}"
                )
            block = data[cols].apply(pd.to_numeric, errors="coerce").astype(float)
            scales[str(name)] = block
    else:
        raise ContractError("reliability needs instrument= (long or wide data) or items=")
    rows, item_rows, problems = [], [], []
    for name, frame in scales.items():
        row, irows, constant = _scale_stats(name, frame, conf_level)
        rows.append(row)
        item_rows.extend(irows)
        if constant:
            problems.append(f"{name}: no variance in item(s) {', '.join(constant)}")
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    item_table = pd.DataFrame(item_rows, columns=ITEM_COLUMNS)
    if problems and table["alpha"].isna().all():
        raise DataError("cannot compute reliability: " + "; ".join(problems))
    return ReliabilityResult(table=table, item_table=item_table, conf_level=conf_level)


def study_reliability(study) -> pd.DataFrame | None:
    """Alpha and omega of every scale of every item-level instrument of a study.

    Instruments given only as task totals (no item rows) and the trust game have no internal
    consistency to estimate and are left out. None when nothing is left.
    """
    from .processing import instrument_keys

    if "responses" not in study.tables:
        return None
    responses = study["responses"]
    keys = instrument_keys(study)
    parts = []
    for name in study.contract.instruments:
        inst = study.contract.instrument(name)
        rows = responses[responses["instrument"].astype(str) == name]
        items = rows["item"].astype(str).str.lstrip("0").isin(inst.items)
        if inst.scoring == "trust_game" or not items.any():
            continue
        table = reliability(responses, instrument=inst, key=keys.get(name)).table
        label = table["scale"].map(
            lambda sc, n=name: sc if str(sc).startswith(n) else f"{n}_{sc}"
        ) if "scale" in table.columns else name
        parts.append(table.assign(instrument=label))
    return pd.concat(parts, ignore_index=True) if parts else None
