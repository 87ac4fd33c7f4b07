"""The entry point of the generalized mixed models: formula extras (``cbind(successes,
failures)`` responses, ``offset(...)`` terms), checks of the response, the design and the fit.
Called by :func:`hormonestats.mixed` with ``family="binomial"`` or ``"poisson"``."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ...errors import DataError, ModelError
from ..lmm.design import category_levels, drop_missing, fixed_design, random_blocks
from ..lmm.fit import MixedModelWarning
from ..lmm.formula import ModelSpec, parse_formula
from .families import make_family
from .fit import fit_glmm
from .pirls import PenalisedSystem
from .result import GLMMResult, information_criteria, result_table, variance_table

_NAME = r"`[^`]+`|[A-Za-z_.][A-Za-z0-9_.]*"
_CBIND = re.compile(rf"^\s*cbind\(\s*({_NAME})\s*,\s*({_NAME})\s*\)\s*$")
_OFFSET = re.compile(rf"offset\(\s*(log\(\s*({_NAME})\s*\)|{_NAME})\s*\)")


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith("`") else name


@dataclass(frozen=True)
class GLMMSpec:
    """A parsed GLMM formula: the engine's :class:`ModelSpec` plus the binomial
    ``(successes, failures)`` columns and the offset column (and whether it is logged)."""

    spec: ModelSpec
    cbind: tuple | None = None
    offset: tuple | None = None  # (column, logged)

    def columns(self) -> list[str]:
        cols = self.spec.columns()
        if self.cbind:
            cols = list(self.cbind) + cols[1:]
        if self.offset:
            cols.append(self.offset[0])
        return list(dict.fromkeys(cols))


def parse_glmm_formula(formula: str) -> GLMMSpec:
    """Parse a formula that may hold ``cbind(s, f) ~ ...`` and ``+ offset(log(t))``.

    >>> g = parse_glmm_formula("cbind(hits, misses) ~ dose + offset(log(time)) + (1 | id)")
    >>> g.cbind, g.offset, g.spec.response
    (('hits', 'misses'), ('time', True), 'hits')
    """
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise ModelError(f"A formula needs exactly one '~' (response ~ terms), got {formula!r}")
    lhs, rhs = formula.split("~")
    cb = None
    if "cbind" in lhs:
        m = _CBIND.match(lhs)
        if not m:
            raise ModelError(
                f"Cannot read the response {lhs.strip()!r}: write cbind(successes, failures) "
                "with two column names."
            )
        cb = (_unquote(m.group(1)), _unquote(m.group(2)))
        lhs = m.group(1)
    offs = list(_OFFSET.finditer(rhs))
    if len(offs) > 1:
        raise ModelError(f"Give at most one offset(...) term in {formula!r}.")
    offset = None
    if offs:
        m = offs[0]
        offset = (_unquote(m.group(2)), True) if m.group(2) else (_unquote(m.group(1)), False)
        rhs = rhs[: m.start()] + rhs[m.end() :]
        rhs = re.sub(r"\+\s*\+", "+", rhs).strip().strip("+").strip() or "1"
    elif "offset(" in rhs:
        raise ModelError(
            f"Cannot read the offset in {formula!r}: write offset(column) or "
            "offset(log(column))."
        )
    return GLMMSpec(parse_formula(f"{lhs} ~ {rhs}"), cb, offset)


def _response(d: pd.DataFrame, g: GLMMSpec, family, trials: str | None):
    """(y, trials, problems): proportions and trials (binomial) or counts (Poisson)."""
    problems = []
    resp = g.spec.response
    if g.cbind:
        s, f = (d[c].to_numpy(float) for c in g.cbind)
        n = s + f
        bad = (s < 0) | (f < 0) | (np.abs(s - np.rint(s)) > 1e-8) | (np.abs(f - np.rint(f)) > 1e-8)
        if bad.any():
            problems.append(
                f"cbind({g.cbind[0]}, {g.cbind[1]}) needs non-negative whole counts; rows "
                f"{', '.join(map(str, d.index[bad][:10]))} are not"
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, s / np.where(n > 0, n, 1), 0.0), n, problems
    y = d[resp].astype(float).to_numpy()
    if family.name in ("poisson", "negative_binomial"):
        bad = (y < 0) | (np.abs(y - np.rint(y)) > 1e-8)
        if bad.any():
            problems.append(
                f"column {resp!r} must hold non-negative whole counts for a {family.name} "
                "model; rows "
                f"{', '.join(map(str, d.index[bad][:10]))} do not"
            )
        return y, np.ones(len(y)), problems
    if trials is not None:
        n = d[trials].astype(float).to_numpy()
        bad = (n <= 0) | (y < 0) | (y > n) | (np.abs(y - np.rint(y)) > 1e-8)
        if bad.any():
            problems.append(
                f"column {resp!r} must hold whole numbers of successes between 0 and "
                f"{trials!r}; rows {', '.join(map(str, d.index[bad][:10]))} do not"
            )
        return y / np.where(n > 0, n, 1), n, problems
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        problems.append(
            f"column {resp!r} must be 0/1 for a binomial model without trials (give "
            f"trials='column' or cbind(successes, failures) for counts); rows "
            f"{', '.join(map(str, d.index[bad][:10]))} are not"
        )
    return y, np.ones(len(y)), problems


def prepare(data, formula, family, link=None, trials=None, offset=None, reference=None):
    """Checks, exclusions and the penalised system. Returns (system, frame, dropped, extras)."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    fam = make_family(family, link)
    g = parse_glmm_formula(formula)
    if not g.spec.random:
        raise ModelError("A generalized mixed model needs a random-effect term such as "
                         "(1 | subject); without one, fit a GLM.")
    if trials is not None and (g.cbind or fam.name != "binomial"):
        raise ModelError("trials= is for a binomial model whose response counts successes "
                         "(not with cbind(...), not for a Poisson model).")
    if g.cbind and fam.name != "binomial":
        raise ModelError("cbind(successes, failures) responses need family='binomial'.")
    if offset is not None and g.offset is not None:
        raise ModelError("Give the offset either in the formula or as offset=, not both.")
    off = g.offset or ((offset, False) if offset is not None else None)
    cols = g.columns() + ([trials] if trials else []) + ([off[0]] if off and off[0] not in
                                                          g.columns() else [])
    cols = list(dict.fromkeys(cols))
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise DataError(
            f"Table 'data' lacks column(s) {', '.join(map(repr, missing))} named by the model. "
            f"Available columns: {', '.join(map(str, data.columns))}."
        )
    notnum = [c for c in ([g.spec.response] if not g.cbind else list(g.cbind)) +
              ([trials] if trials else []) + ([off[0]] if off else [])
              if not pd.api.types.is_numeric_dtype(data[c])]
    if notnum:
        raise DataError(
            f"Column(s) {', '.join(map(repr, notnum))} of table 'data' must be numeric (the "
            "response, trials and offset); code a binary response as 0/1."
        )
    d, dropped = drop_missing(data, cols, "mixed", g.spec.random[0].group[0])
    if len(d) == 0:
        raise DataError(f"No complete rows left for the model (columns {', '.join(cols)}).")
    y, n_trials, problems = _response(d, g, fam, trials)
    ov = None
    if off:
        raw = d[off[0]].astype(float).to_numpy()
        if off[1]:
            if np.any(raw <= 0):
                problems.append(f"offset column {off[0]!r} must be positive to take its log")
            ov = np.log(np.where(raw > 0, raw, 1.0))
        else:
            ov = raw
    if problems:
        raise DataError("Cannot fit the generalized mixed model: " + "; ".join(problems) + ".")
    levels = category_levels(d, g.spec, reference)
    X, design = fixed_design(d, g.spec, levels)
    blocks = random_blocks(d, g.spec, levels)
    for b in blocks:
        if b.n_levels < 2:
            raise ModelError(f"The grouping factor {b.group!r} has {b.n_levels} level(s); a "
                             "random effect needs at least 2.")
    rank = np.linalg.matrix_rank(X)
    if rank < X.shape[1]:
        raise ModelError(
            f"The fixed effects are not estimable: the design's {X.shape[1]} columns "
            f"({', '.join(design.names)}) have rank {rank} (a predictor is constant or a "
            "combination of others)."
        )
    system = PenalisedSystem(y, X, blocks, fam, n_trials, ov)
    return system, d, dropped, {"glmm_spec": g, "design": design, "offset": off,
                                "trials": trials}


def fit_frame(system, design, n_agq: int = 1, reml: bool = False):
    """Fit with one BLAS thread (the systems are small; threads only contend)."""
    with threadpool_limits(1):
        return fit_glmm(system, design.names, n_agq, design=design, reml=reml)


def separation_messages(system, names, fit) -> list[str]:
    """(Quasi-)complete separation in words: a 0/1 fixed-effect column whose rows all have the
    same outcome, or a coefficient driven to a huge value with a huge standard error."""
    out = []
    y, n, X = system.y, system.trials, system.X
    binom = system.family.name == "binomial"
    for j, name in enumerate(names):
        col = X[:, j]
        if name == "Intercept" or not np.all(np.isin(col, (0.0, 1.0))):
            continue
        on = col == 1
        if not on.any() or on.all():
            continue
        k = (y * n)[on]
        if binom and (np.all(k == 0) or np.all(k == n[on])):
            out.append(
                f"Complete separation: every row with {name} = 1 has the outcome "
                f"{'0' if np.all(k == 0) else '1 (all successes)'}, so its log-odds ratio is "
                "infinite and the reported estimate, standard error and Wald test are not "
                "meaningful. Use profile intervals, merge levels, or a penalised (Firth-type) "
                "or Bayesian model."
            )
        elif not binom and np.all(k == 0):
            out.append(
                f"Complete separation: every row with {name} = 1 has a count of 0, so its log "
                "rate ratio is -infinite and the Wald test is not meaningful."
            )
    big = 8.0 if system.family.link != "probit" else 5.0
    se = fit.se
    for name, b, s in zip(names, fit.beta, se):
        if abs(b) > big and (not np.isfinite(s) or s > abs(b) / 2):
            if not any(name in m for m in out):
                out.append(
                    f"Quasi-complete separation suspected for {name}: estimate {b:.3g} on the "
                    f"link scale with standard error {s:.3g}; some combination of predictors "
                    "(almost) predicts the outcome perfectly, and Wald tests and intervals "
                    "mislead. Check the cross-tabulation and use profile intervals."
                )
    return out


def _level_labels(frame: pd.DataFrame, spec: ModelSpec) -> tuple:
    out = []
    for r in spec.random:
        if len(r.group) == 1:
            out.append(tuple(pd.factorize(frame[r.group[0]], sort=True)[1]))
        else:
            key = pd.MultiIndex.from_frame(frame[list(r.group)].astype(str))
            out.append(tuple(pd.factorize(key, sort=True)[1]))
    return tuple(out)


def fit_generalized(data, formula, family, *, link=None, n_agq=1, trials=None, offset=None,
                    reference=None, conf_level=0.95, df_method=None,
                    reml: bool = True) -> GLMMResult:
    """Fit a generalized linear mixed model; see :func:`hormonestats.mixed`.

    Trial-level binary choices with crossed random effects:

    >>> import hormonestats as hs
    >>> trials, _ = hs.simulate_trust_trials(n_subjects=20, seed=3)
    >>> fit = hs.mixed(trials, family="binomial",
    ...                formula="choice ~ oxytocin + face_trust + (1 | subject) + (1 | face)")
    >>> fit.converged, fit.table["term"].tolist()
    (True, ['Intercept', 'oxytocin', 'face_trust'])
    """
    from .ddf import DF_METHODS, between_within_df
    from .quadrature import check_agq

    df_method = "wald" if df_method is None else str(df_method).lower()
    if df_method not in DF_METHODS:
        raise ModelError(f"df_method={df_method!r} is not offered for a generalized mixed model; "
                         f"use one of {', '.join(map(repr, DF_METHODS))}.")
    system, d, dropped, extra = prepare(data, formula, family, link, trials, offset, reference)
    check_agq(system, n_agq)
    if reml and n_agq > 1:
        raise ModelError("The restricted likelihood (reml=True) is a Laplace approximation; "
                         "give reml=False for adaptive quadrature (n_agq > 1).")
    design = extra["design"]
    fit = fit_frame(system, design, n_agq, reml)
    messages = list(fit.messages) + separation_messages(system, design.names, fit)
    for m in messages:
        warnings.warn(m, MixedModelWarning, stacklevel=3)
    g = extra["glmm_spec"]
    aic, bic = information_criteria(fit.deviance, fit.n_params, system.n)
    text = formula_text(g)
    df = (None if df_method == "wald" else
          between_within_df(system.X, design.names, system.blocks))
    return GLMMResult(
        table=result_table(fit, system.family.link, conf_level, df),
        variance_components=variance_table(fit), fit=fit,
        distribution=system.family.name, link=system.family.link, n_agq=int(n_agq),
        deviance=fit.deviance, aic=float(aic), bic=float(bic), converged=fit.converged,
        singular=fit.singular, warnings=tuple(messages), n_obs=int(system.n),
        n_groups=dict(fit.n_levels), excluded=dropped, formula=text,
        y=g.spec.response if not g.cbind else f"cbind({g.cbind[0]}, {g.cbind[1]})",
        conf_level=conf_level, df_method=df_method,
        nb_theta=system.family.theta if system.family.extra else None,
        _system=system, _frame=d,
        _labels=_level_labels(d, g.spec),
    )


def _q(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_.][A-Za-z0-9_.]*", name) else f"`{name}`"


def formula_text(g: GLMMSpec) -> str:
    """The model in lme4 syntax with its cbind response and offset.

    >>> formula_text(parse_glmm_formula("cbind(s, f) ~ a*b + offset(log(t)) + (1 | id)"))
    'cbind(s, f) ~ a + b + a:b + (1 | id) + offset(log(t))'
    """
    spec = g.spec
    fx = [":".join(map(_q, t)) for t in spec.terms]
    if not spec.intercept:
        fx = ["0", *fx]
    rnd = []
    for r in spec.random:
        inner = (["1"] if r.intercept else ["0"]) + [":".join(map(_q, t)) for t in r.terms]
        rnd.append(f"({' + '.join(inner)} {'|' if r.correlated else '||'} "
                   f"{':'.join(map(_q, r.group))})")
    lhs = f"cbind({g.cbind[0]}, {g.cbind[1]})" if g.cbind else _q(spec.response)
    rhs = " + ".join((fx or ["1"]) + rnd)
    if g.offset:
        col, logged = g.offset
        rhs = rhs + (f" + offset(log({col}))" if logged else f" + offset({col})")
    return f"{lhs} ~ {rhs}"


def from_mixed(data, formula, family, args):
    """``family=`` other than gaussian: the generalized engine (formula only)."""
    if formula is None:
        raise ModelError(f"family={family!r} needs formula=... (e.g. 'correct ~ drug + "
                         "(1 | subject) + (1 | item)').")
    given = [a for a in ("y", "x", "subject", "m", "covariates") if args[a]]
    if given:
        raise ModelError(f"Give either formula=... or the keywords, not both (also given: "
                         f"{', '.join(given)}).")
    if args["df_method"] not in (None, "between-within", "wald"):
        raise ModelError(f"df_method={args['df_method']!r} is for the linear mixed model; a "
                         "generalized mixed model offers 'wald' (default: z tests) or "
                         "'between-within' (t tests on between-within df).")
    return fit_generalized(data, formula, family, link=args["link"], n_agq=args["n_agq"],
                           trials=args["trials"], offset=args["offset"],
                           reference=args["reference"], conf_level=args["conf_level"],
                           df_method=args["df_method"], reml=bool(args["reml"]))
