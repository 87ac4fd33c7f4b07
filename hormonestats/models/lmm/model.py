"""The one set-up every mixed-model family shares: check the columns a model uses, drop and log
rows with missing values, build the design (treatment coding, references) and fit."""

from __future__ import annotations

import pandas as pd

from ...errors import DataError, ModelError
from .design import category_levels, drop_missing, fixed_design, random_blocks, require_columns
from .fit import LMMFit, fit_lmm
from .formula import ModelSpec, RandomTerm, parse_formula


def repeated_spec(y: str, fixed, subject: str, slopes=()) -> ModelSpec:
    """``y ~ fixed + (1 + slopes | subject)``: the model of the repeated-measures families
    (crossover, therapy over time, cycle phases). ``fixed`` holds terms as tuples of columns."""
    rterm = RandomTerm(tuple((s,) for s in slopes), True, (subject,))
    return ModelSpec(y, tuple(tuple(t) for t in fixed), True, (rterm,))


def fit_model(
    data: pd.DataFrame,
    spec: ModelSpec | str,
    *,
    reference: dict | None = None,
    order: dict | None = None,
    factors=(),
    reml: bool = True,
    df_method: str = "satterthwaite",
    what: str = "mixed model",
    step: str = "mixed",
    subject: str | None = None,
    checked: bool = False,
    correlation=None,
) -> tuple[LMMFit, pd.DataFrame, pd.DataFrame]:
    """Fit ``spec`` (a :class:`ModelSpec` or an lme4-style formula) to ``data``.

    ``reference`` maps a categorical column to its reference level, ``order`` to a level order;
    ``factors`` names numeric columns to treat as categorical.
    Returns (fit, analysed rows, exclusion log). ``checked=True`` skips the column checks (the
    caller has done them, on the caller's argument names). ``correlation`` (a
    :class:`.serial.Correlation`) adds AR(1) / CAR(1) residual correlation within a group.
    """
    if isinstance(spec, str):
        spec = parse_formula(spec)
    if not spec.random:
        raise ModelError(f"The {what} needs at least one random-effect term such as (1 | subject).")
    cols = spec.columns()
    extra = [] if correlation is None else [c for c in (correlation.time, correlation.group) if c]
    if not checked:
        require_columns(data, {"formula": cols, "correlation": extra})
        s = data[spec.response]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            raise DataError(
                f"Cannot fit the {what}: the response {spec.response!r} must be numeric "
                f"(got {s.dtype})."
            )
    d, dropped = drop_missing(data, [*cols, *extra], step, subject or spec.random[0].group[0])
    if len(d) == 0:
        raise DataError(f"No complete rows left for the {what} (columns {', '.join(cols)}).")
    levels = category_levels(d, spec, reference, order, factors)
    X, design = fixed_design(d, spec, levels)
    blocks = random_blocks(d, spec, levels)
    for b in blocks:
        if b.n_levels < 2:
            raise ModelError(
                f"The grouping factor {b.group!r} of the {what} has {b.n_levels} level(s); "
                "a random effect needs at least 2."
            )
    serial = None
    if correlation is not None:
        from .serial import build_serial

        serial = build_serial(d, correlation, blocks, what)
    lmm = fit_lmm(
        d[spec.response].astype(float).to_numpy(),
        X,
        design.names,
        blocks,
        reml=reml,
        df_method=df_method,
        what=what,
        design=design,
        serial=serial,
    )
    return lmm, d, dropped
