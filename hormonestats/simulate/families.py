"""Power simulations of the model families a spec may name (``{"family": ..., "effects": ...}``).

Each family has a simple standardised generative model (effects in SD units of the outcome)
and the test :func:`hormonestats.power` documents for it: OLS t-tests (``two_group``,
``moderation``), the t-test of Pearson's r (``correlation``), the joint-significance test
(``mediation``), the two-stage random-effects test of the within-person slope (``mixed``) and
the period-difference analysis of the 2x2 crossover (``crossover``). The draw functions are
module-level and bound with :func:`functools.partial`, so a spec pickles to worker processes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import partial

import numpy as np
from scipy import stats

from ..errors import HormoneStatsError
from . import trial_power as _trial
from .batched import PowerSpec, mediation_result, ols_key_test, ols_tests, result

__all__ = [
    "FAMILIES",
    "FAMILY_OPTIONS",
    "check_effects",
    "family_spec",
    "spec_mediation",
    "spec_mixed",
    "mixed_data",
    "serial_normals",
]

#: Model families a spec may name, with their effect names and defaults (SD units).
FAMILIES = {
    "two_group": {"d": 0.5},
    "correlation": {"r": 0.3},
    "moderation": {"x": 0.0, "m": 0.0, "x:m": 0.2},
    "mediation": {"a": 0.3, "b": 0.3, "direct": 0.0},
    "mixed": {"x": 0.2},
    "crossover": {"treatment": 0.3, "period": 0.0, "carryover": 0.0},
}
#: Options of each family (besides ``family``, ``effects`` and ``name``) and their defaults.
FAMILY_OPTIONS = {
    "two_group": {},
    "correlation": {},
    "moderation": {"x_binary": False, "r_xm": 0.0},
    "mediation": {},
    "mixed": {"n_obs": 5, "icc": 0.5, "slope_sd": 0.1, "x_sd": 1.0, "phi": 0.0, "x_phi": 0.0},
    "crossover": {"icc": 0.5},
}


def check_effects(target: dict, source: Mapping | None, what: str, allowed=None) -> None:
    """Update ``target`` with ``source``; names not in ``allowed`` (default: the keys of
    ``target``) raise, listing the known ones."""
    if not source:
        return
    allowed = tuple(target if allowed is None else allowed)
    unknown = sorted(set(source) - set(allowed))
    if unknown:
        raise HormoneStatsError(
            f"unknown effect(s) {unknown} for {what}; expected: {', '.join(allowed)}"
        )
    target.update({k: float(v) for k, v in source.items()})


def family_spec(spec: Mapping, effects: Mapping | None) -> PowerSpec:
    """The :class:`PowerSpec` of a family spec (effects: the spec's, then ``effects``)."""
    spec = dict(spec)
    family = spec.pop("family", None)
    if family not in FAMILIES:
        raise HormoneStatsError(
            f"spec family {family!r} unknown; expected one of: {', '.join(FAMILIES)}"
        )
    eff = dict(FAMILIES[family])
    for source in (spec.pop("effects", None), effects):
        check_effects(eff, source, f"family {family!r}")
    opts = dict(FAMILY_OPTIONS[family])
    name = str(spec.pop("name", family))
    unknown = sorted(set(spec) - set(opts))
    if unknown:
        raise HormoneStatsError(
            f"unknown option(s) {unknown} for family {family!r}; expected: "
            f"{', '.join(['family', 'effects', 'name', *opts])}"
        )
    opts.update(spec)
    return _BUILDERS[family](name, eff, opts)


# --------------------------------------------------------------------------- two groups
def _draw_two_group(rng, n, size, alpha, *, d):
    g = np.zeros((size, n))
    g[:, : n // 2] = 1.0
    y = d * g + rng.standard_normal((size, n))
    return ols_key_test([g], y, 1, d, alpha)


def spec_two_group(name, eff, opts) -> PowerSpec:
    return PowerSpec(name, "group", eff["d"], partial(_draw_two_group, d=eff["d"]), opts)


# -------------------------------------------------------------------------- correlation
def _draw_correlation(rng, n, size, alpha, *, r):
    x = rng.standard_normal((size, n))
    y = r * x + math.sqrt(1 - r * r) * rng.standard_normal((size, n))
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    rr = (xc * yc).sum(1) / np.sqrt((xc * xc).sum(1) * (yc * yc).sum(1))
    tval = rr * np.sqrt((n - 2) / (1 - rr * rr))
    pval = 2 * stats.t.sf(np.abs(tval), n - 2)
    z, zc = np.arctanh(rr), stats.norm.ppf(1 - alpha / 2) / math.sqrt(n - 3)
    return result(rr, pval, np.tanh(z - zc), np.tanh(z + zc), r, alpha)


def spec_correlation(name, eff, opts) -> PowerSpec:
    r = eff["r"]
    if not -1 < r < 1:
        raise HormoneStatsError(f"correlation r must be in (-1, 1), got {r}")
    return PowerSpec(name, "r", r, partial(_draw_correlation, r=r), opts)


# --------------------------------------------------------------------------- moderation
def _draw_moderation(rng, n, size, alpha, *, bx, bm, bxm, r_xm, binary):
    if binary:
        x = np.zeros((size, n))
        x[:, : n // 2] = 1.0
        x = rng.permuted(x, axis=1)
        m = r_xm * (2 * x - 1) + math.sqrt(1 - r_xm**2) * rng.standard_normal((size, n))
    else:
        x = rng.standard_normal((size, n))
        m = r_xm * x + math.sqrt(1 - r_xm**2) * rng.standard_normal((size, n))
    y = bx * x + bm * m + bxm * x * m + rng.standard_normal((size, n))
    return ols_key_test([x, m, x * m], y, 3, bxm, alpha)


def spec_moderation(name, eff, opts) -> PowerSpec:
    draw = partial(_draw_moderation, bx=eff["x"], bm=eff["m"], bxm=eff["x:m"],
                   r_xm=float(opts["r_xm"]), binary=bool(opts["x_binary"]))
    return PowerSpec(name, "x:m", eff["x:m"], draw, opts)


# ---------------------------------------------------------------------------- mediation
def _draw_mediation(rng, n, size, alpha, *, a_, b_, c_):
    x = rng.standard_normal((size, n))
    m = a_ * x + rng.standard_normal((size, n))
    y = c_ * x + b_ * m + rng.standard_normal((size, n))
    one = np.ones(x.shape)
    a = ols_tests(np.stack([one, x], axis=2), m, [1], alpha)[0]
    b = ols_tests(np.stack([one, x, m], axis=2), y, [2], alpha)[0]
    return mediation_result(rng, a, b, a_ * b_, alpha)


def spec_mediation(name, eff, opts) -> PowerSpec:
    draw = partial(_draw_mediation, a_=eff["a"], b_=eff["b"], c_=eff["direct"])
    return PowerSpec(name, "indirect", eff["a"] * eff["b"], draw, opts)


# -------------------------------------------------------------------------------- mixed
def serial_normals(z: np.ndarray, phi: float) -> np.ndarray:
    """Standard normals along the last axis made AR(1) with lag-1 correlation ``phi``
    (stationary: ``e_0 = z_0``, ``e_j = phi e_(j-1) + sqrt(1 - phi^2) z_j``); ``phi = 0``
    returns ``z`` unchanged.

    >>> import numpy as np
    >>> e = serial_normals(np.random.default_rng(1).standard_normal((20000, 2)), 0.5)
    >>> round(float(np.corrcoef(e.T)[0, 1]), 1)
    0.5
    """
    if phi == 0.0:
        return z
    if not -1 < phi < 1:
        raise HormoneStatsError(f"a serial correlation phi must lie in (-1, 1), got {phi}")
    e = z.copy()
    c = math.sqrt(1 - phi * phi)
    for j in range(1, z.shape[-1]):
        e[..., j] = phi * e[..., j - 1] + c * z[..., j]
    return e


def mixed_data(rng, n, size, *, beta, k, icc, slope_sd, x_sd, phi=0.0, x_phi=0.0):
    """(x, y), each ``size x n x k``: the ``mixed`` family's generative model. ``k`` equally
    spaced occasions per subject; within-person residuals (variance ``1 - icc``) and the
    predictor (SD ``x_sd``) are AR(1) over the occasions with ``phi`` and ``x_phi`` (serial
    correlation, as in diurnal or post-dose series; 0 = independent)."""
    x = x_sd * serial_normals(rng.standard_normal((size, n, k)), x_phi)
    u = math.sqrt(icc) * rng.standard_normal((size, n, 1))
    v = slope_sd * rng.standard_normal((size, n, 1))
    e = serial_normals(rng.standard_normal((size, n, k)), phi)
    return x, u + (beta + v) * x + math.sqrt(1 - icc) * e


def _draw_mixed(rng, n, size, alpha, *, beta, k, icc, slope_sd, x_sd, phi=0.0, x_phi=0.0):
    x, y = mixed_data(rng, n, size, beta=beta, k=k, icc=icc, slope_sd=slope_sd, x_sd=x_sd,
                      phi=phi, x_phi=x_phi)
    xc = x - x.mean(axis=2, keepdims=True)
    yc = y - y.mean(axis=2, keepdims=True)
    sxx = (xc * xc).sum(2)
    slopes = (xc * yc).sum(2) / sxx
    rss = ((yc - slopes[..., None] * xc) ** 2).sum(2)
    s2 = rss.sum(1, keepdims=True) / (n * (k - 2))  # pooled within-subject variance
    v = s2 / sxx
    w = 1.0 / v
    sw = w.sum(1, keepdims=True)
    bw = (w * slopes).sum(1, keepdims=True) / sw
    q = (w * (slopes - bw) ** 2).sum(1, keepdims=True)
    tau2 = np.maximum(0.0, (q - (n - 1)) / (sw - (w * w).sum(1, keepdims=True) / sw))
    ws = 1.0 / (v + tau2)
    est = (ws * slopes).sum(1) / ws.sum(1)
    se = np.sqrt((ws * (slopes - est[:, None]) ** 2).sum(1) / ((n - 1) * ws.sum(1)))
    pval = 2 * stats.t.sf(np.abs(est / se), n - 1)
    crit = stats.t.ppf(1 - alpha / 2, n - 1)
    return result(est, pval, est - crit * se, est + crit * se, beta, alpha)


def spec_mixed(name, eff, opts) -> PowerSpec:
    k = int(opts["n_obs"])
    if k < 3:
        raise HormoneStatsError(f"mixed: n_obs must be at least 3 per subject, got {k}")
    draw = partial(_draw_mixed, beta=eff["x"], k=k, icc=float(opts["icc"]),
                   slope_sd=float(opts["slope_sd"]), x_sd=float(opts.get("x_sd", 1.0)),
                   phi=float(opts.get("phi", 0.0)), x_phi=float(opts.get("x_phi", 0.0)))
    return PowerSpec(name, "x", eff["x"], draw, opts)


# ---------------------------------------------------------------------------- crossover
def _draw_crossover(rng, n, size, alpha, *, tau, period, carry, icc):
    seq = np.where(np.arange(n) < n // 2, 1.0, -1.0) * np.ones((size, n))  # +1 AB, -1 BA
    ab = seq > 0
    sd_w = math.sqrt(1 - icc)
    s = math.sqrt(icc) * rng.standard_normal((size, n))
    y1 = s + tau * ab + sd_w * rng.standard_normal((size, n))
    y2 = s + tau * ~ab + period + carry * ab + sd_w * rng.standard_normal((size, n))
    return ols_key_test([seq], y1 - y2, 1, tau, alpha)


def spec_crossover(name, eff, opts) -> PowerSpec:
    draw = partial(_draw_crossover, tau=eff["treatment"], period=eff["period"],
                   carry=eff["carryover"], icc=float(opts["icc"]))
    return PowerSpec(name, "treatment", eff["treatment"], draw, opts)


_BUILDERS = {
    "two_group": spec_two_group,
    "correlation": spec_correlation,
    "moderation": spec_moderation,
    "mediation": spec_mediation,
    "mixed": spec_mixed,
    "crossover": spec_crossover,
}

# trial- and item-level designs fitted with a generalized mixed model (simulate/trial_power.py)
FAMILIES.update(_trial.FAMILIES)
FAMILY_OPTIONS.update(_trial.FAMILY_OPTIONS)
_BUILDERS.update({f: partial(_trial.spec_trial_level, f) for f in _trial.FAMILIES})
