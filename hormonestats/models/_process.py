"""What the PROCESS-type families share: checks, complete cases, OLS paths, the bootstrap.

:func:`hormonestats.mediation` (model 4) and :func:`hormonestats.moderated_mediation` (models 7,
14 and 58) fit the same kinds of equation: each mediator and the outcome regressed on a design
with an intercept. This module holds the pieces both use: option checks, the complete-case frame
with its exclusion log, the statsmodels fits, the bootstrap of every equation from one weighted
cross-product matrix per resample (:mod:`hormonestats.models._bootstrap`), bootstrap SEs and
intervals, and the notes both results print.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm

from ..errors import DataError, ModelError, format_rows
from ..log import empty_log, log_rows
from ._bootstrap import (
    bootstrap_interval,
    bootstrap_system,
    prepare_system,
    resample_counts,
    solve_system,
)
from ._families import batched_logit
from .lmm.design import dummy_name

__all__ = ["CI_METHODS", "COV_TYPES", "INTERCEPT", "categorical_covariates", "process_notes"]

INTERCEPT = "Intercept"
CI_METHODS = ("percentile", "bc", "bca")
COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")
_EMPTY_LOG = empty_log()


def _as_list(value, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) or isinstance(value, pd.Index):
        return [str(v) for v in value]
    raise ModelError(f"{name} must be a column name or a list of column names, got {value!r}")


def categorical_covariates(data: pd.DataFrame, covariates: list[str]):
    """Treatment-coded dummies for non-numeric covariates (reference = first level, sorted).

    Returns a new frame with the dummy columns added (named as in ``hs.moderation``, e.g.
    ``sex[T.male]``; missing where the covariate is missing, so those rows are excluded and
    logged) and the covariate list with each categorical name replaced by its dummies.
    """
    if not isinstance(data, pd.DataFrame):
        return data, covariates
    out_covs: list[str] = []
    extra: dict[str, pd.Series] = {}
    for c in covariates:
        if c not in data.columns:
            out_covs.append(c)
            continue
        col = data[c]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            out_covs.append(c)
            continue
        levels = sorted(col.dropna().astype(str).unique())
        for level in levels[1:]:
            name = dummy_name(c, level, "treatment")
            extra[name] = (col.astype(str) == level).astype(float).where(col.notna())
            out_covs.append(name)
    return (data.assign(**extra) if extra else data), out_covs


def _check_options(n_boot, ci, conf_level, cov_type) -> list[str]:
    problems = []
    if not isinstance(n_boot, (int, np.integer)) or isinstance(n_boot, bool) or n_boot < 1:
        problems.append(f"n_boot must be a positive integer, got {n_boot!r}")
    if ci not in CI_METHODS:
        problems.append(f"ci must be one of {', '.join(CI_METHODS)}, got {ci!r}")
    if not (isinstance(conf_level, (float, int)) and 0 < conf_level < 1):
        problems.append(f"conf_level must be between 0 and 1, got {conf_level!r}")
    if cov_type not in COV_TYPES:
        problems.append(f"cov_type must be one of {', '.join(COV_TYPES)}, got {cov_type!r}")
    return problems


def _prepare(
    data,
    roles: dict[str, list[str]],
    *,
    step: str,
    n_params: int,
    problems: list[str],
    table: str = "data",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check the columns, drop (and log) rows with missing values; raise all problems at once.

    ``roles`` maps a role ("x", "mediator", ...) to its column names. Returns the complete-case
    frame of float columns (a new frame; ``data`` is untouched) and the exclusion log.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    problems = list(problems)
    used: dict[str, str] = {}
    for role, names in roles.items():
        for name in names:
            if name in used:
                problems.append(
                    f"column {name!r} is given both as {used[name]} and as {role}; "
                    "each variable may play one role"
                )
            else:
                used[name] = role
    columns = list(used)
    missing = [c for c in columns if c not in data.columns]
    for c in missing:
        problems.append(
            f"table {table!r} has no column {c!r} (given as {used[c]}); "
            f"available columns: {', '.join(map(str, data.columns))}"
        )
    present = [c for c in columns if c in data.columns]
    for c in present:
        col = data[c]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            problems.append(
                f"column {c!r} ({used[c]}) must be numeric, got dtype {col.dtype}; "
                "code categories as numbers (e.g. 0/1) first"
            )
    numeric = [
        c
        for c in present
        if pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])
    ]
    values = np.empty((len(data), len(numeric)))
    for j, c in enumerate(numeric):
        values[:, j] = data[c].to_numpy(dtype=float, na_value=np.nan)
    frame = pd.DataFrame(values, index=data.index, columns=numeric)
    for j, c in enumerate(numeric):
        bad = np.isinf(values[:, j])
        if bad.any():
            problems.append(
                f"column {c!r} ({used[c]}) has infinite values in "
                f"{format_rows(data.index[bad])} of table {table!r}"
            )
    flags = np.isnan(values)
    drop = flags.any(axis=1)
    if drop.any():
        reasons = pd.Series("", index=data.index, dtype="str")
        reasons[drop] = [
            "missing value in " + ", ".join(c for c, f in zip(numeric, row) if f)
            for row in flags[drop]
        ]
        excluded = log_rows(step, table, data, drop, "excluded", reasons)
    else:
        excluded = _EMPTY_LOG.copy()
    clean = frame.loc[~drop]
    clean_values = values[~drop]
    if not missing and len(numeric) == len(present):
        n = len(clean)
        if n < n_params + 2:
            problems.append(
                f"only {n} complete rows in table {table!r} (after excluding "
                f"{int(drop.sum())} with missing values); the model needs at least {n_params + 2}"
            )
        else:
            spread = np.ptp(clean_values, axis=0) if n else np.zeros(len(numeric))
            for c, sp in zip(numeric, spread):
                if used[c] != "covariate" and sp == 0:
                    problems.append(f"column {c!r} ({used[c]}) has no variance")
    if problems:
        raise ModelError(f"cannot fit {step}:\n- " + "\n- ".join(problems))
    return clean, excluded


def _ols(y: np.ndarray, X: pd.DataFrame, cov_type: str):
    """statsmodels OLS with named terms and t-based inference (PROCESS uses t with HC SEs too)."""
    model = sm.OLS(pd.Series(y, index=X.index, name="y"), X)
    return model.fit(cov_type=cov_type, use_t=True)


def _design(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    values = np.column_stack([np.ones(len(frame)), frame[columns].to_numpy(float)])
    return pd.DataFrame(values, index=frame.index, columns=[INTERCEPT, *columns])


def _bootstrap_paths(frame, a_cols, b_cols, mediators, y, n_boot, seed, family="gaussian"):
    """Bootstrap coefficients of the mediator equations ``(n_boot, 1 + len(a_cols), k)`` and of
    the outcome equation ``(n_boot, 1 + len(b_cols))`` (intercept first), all equations from one
    weighted cross-product matrix per resample.

    With a binomial outcome the outcome equation is a logistic regression, fitted to every
    resample at once by :func:`hormonestats.models._families.batched_logit`; the resamples are
    the same as in the Gaussian case (one stream of row indices), and their ``(n_boot, n)``
    counts are returned as a third item (None for a Gaussian outcome)."""
    names = list(dict.fromkeys([*a_cols, *b_cols, *mediators, y]))
    V = np.column_stack([np.ones(len(frame)), frame[names].to_numpy(float)])
    pos = {name: i + 1 for i, name in enumerate(names)}
    a_idx = [0, *(pos[c] for c in a_cols)]
    b_idx = [0, *(pos[c] for c in b_cols)]
    rng = np.random.default_rng(seed)
    if family == "gaussian":
        equations = [(a_idx, pos[m]) for m in mediators] + [(b_idx, pos[y])]
        coefs = bootstrap_system(prepare_system(V, equations), rng, n_boot)
        return np.stack(coefs[:-1], axis=-1), coefs[-1], None
    counts = np.vstack(list(resample_counts(rng, len(frame), int(n_boot))))
    coefs = solve_system(prepare_system(V, [(a_idx, pos[m]) for m in mediators]), counts)
    coef_b = batched_logit(V[:, b_idx], V[:, pos[y]], counts)
    return np.stack(coefs, axis=-1), coef_b, counts


def _boot_rows(boot, estimate, jack, method, conf_level):
    """Bootstrap SE (SD of finite replicates, ddof=1) and interval per column."""
    boot = np.asarray(boot, dtype=float)
    with warnings.catch_warnings():  # fewer than two finite replicates -> NaN, silently
        warnings.simplefilter("ignore", RuntimeWarning)
        se = np.nanstd(boot, axis=0, ddof=1)
    lo, hi = bootstrap_interval(
        boot, estimate, method=method, conf_level=conf_level, jackknife=jack
    )
    return se, lo, hi


def process_notes(result, paths: str = "") -> list[str]:
    """The notes every PROCESS-type result prints: sample, covariates, SEs, bootstrap, exclusions.

    ``paths`` adds a remark to the first note (e.g. that nothing was centred).
    """
    notes = [
        f"n = {result.n}; covariates: {', '.join(result.covariates) or 'none'}; "
        f"path SEs: {result.cov_type}{paths}.",
        f"Indirect effects: {result.n_boot} bootstrap resamples, {result.ci} "
        f"{result.conf_level:.0%} intervals, seed {result.seed}.",
    ]
    if len(result.excluded):
        notes.append(f"{len(result.excluded)} rows excluded for missing values (see .excluded).")
    if result.n_boot_failed:
        notes.append(f"{result.n_boot_failed} resamples had a singular design and were dropped.")
    return notes + list(result.notes)


def process_settings(n_boot, seed, ci, conf_level, cov_type) -> dict:
    """The settings every PROCESS-type result records, as keyword arguments of its dataclass."""
    return {
        "n_boot": int(n_boot),
        "seed": seed,
        "ci": ci,
        "conf_level": conf_level,
        "cov_type": cov_type,
    }
