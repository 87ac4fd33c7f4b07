"""Fitting a generalized mixed model: the two optimisation stages of lme4's ``glmer``, the checks
at the solution and the fitted object.

Stage 1 minimises the Laplace deviance over ``theta`` with the fixed effects estimated inside
PIRLS (lme4's ``nAGQ = 0`` fit); stage 2 minimises the Laplace (or adaptive Gauss–Hermite)
deviance over ``(theta, beta)`` jointly. Both stages take bounded, damped Newton steps (a
trust region of :data:`MAX_STEP` per coordinate) with finite-difference derivatives, the fixed effects re-parameterised as ``gamma = R beta`` (``R`` from the QR
decomposition of ``sqrt(W) X`` at a GLM start) so that every coordinate has a curvature near one.
At the solution the gradient and the Hessian are checked; a fit on the boundary (a variance
parameter at zero) or one that fails a check is restarted from other starting values and the
best optimum is kept. The fixed-effect covariance is the beta block of ``2 H^-1``, ``H`` the
Hessian of the deviance over ``(theta, beta)`` (lme4's ``vcov(use.hessian = TRUE)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..lmm.optimum import fd_grad_hess
from .pirls import PenalisedSystem
from .quadrature import agq_deviance

SINGULAR_TOL = 1e-4  # lme4's isSingular(tol = 1e-4)
GRAD_TOL = 1e-3  # largest acceptable Newton decrement component |H^-1 g| at the solution


class Objective:
    """The deviance as a function of ``theta`` (stage 1) or ``(theta, gamma)`` (stage 2)."""

    def __init__(self, system: PenalisedSystem, n_agq: int = 1):
        self.s = system
        self.n_agq = int(n_agq)
        self.k = system.n_theta
        beta0, w0 = glm_start(system)
        if system.p:
            R = np.linalg.qr(system.X * np.sqrt(w0)[:, None], mode="r")
            sign = np.sign(np.diag(R))
            sign[sign == 0] = 1
            self.R = R * sign[:, None]
            self.Rinv = np.linalg.inv(self.R)
        else:
            self.R = self.Rinv = np.zeros((0, 0))
        self.beta0 = beta0
        self.u = np.zeros(system.g * system.q1 + system.q2)
        self.beta = beta0.copy()
        self.n_eval = 0
        self.pirls_failed = 0

    def beta_of(self, x):
        return self.Rinv @ np.asarray(x[self.k :], float)

    def gamma_of(self, beta):
        return self.R @ beta

    def _profiled(self, theta, criterion) -> float:
        """``criterion(pirls state)`` at ``theta`` with the fixed effects in the PIRLS (warm start
        from the last accepted point, which a finite value replaces)."""
        self.s.lambdas_at(theta)
        st = self.s.pirls(self.beta, self.u, with_x=True)
        self.n_eval += 1
        if st is None:
            self.pirls_failed += 1
            return np.inf
        dev = criterion(st)
        if np.isfinite(dev):
            self.u, self.beta = st["u"], st["beta"]
        return float(dev)

    def stage1(self, theta) -> float:
        return self._profiled(theta, lambda st: st["pdev"] + st["ldL2"])

    def reml(self, theta) -> float:
        """The restricted (REML) criterion: the Laplace approximation of the likelihood with the
        fixed effects integrated out under a flat prior, ``pdev + log det(H) - p log(2 pi)`` at
        the joint mode of ``(u, beta)`` with ``H`` their joint penalised Hessian (glmmTMB's
        ``REML = TRUE``; Stiratelli, Laird & Ware 1984)."""
        def criterion(st):
            fac = st["fac"]
            ld = fac["ld1"] + (2.0 * float(np.log(np.diag(fac["LS"])).sum()) if fac["nR"]
                               else 0.0)
            return st["pdev"] + ld - self.s.p * np.log(2 * np.pi)

        return self._profiled(theta, criterion)

    def state(self, x):
        """PIRLS modes at ``x = (theta, gamma)`` (warm start from the last accepted point)."""
        self.s.lambdas_at(x[: self.k])
        return self.s.pirls(self.beta_of(x), self.u, with_x=False)

    def __call__(self, x) -> float:
        x = np.asarray(x, float)
        st = self.state(x)
        self.n_eval += 1
        if st is None:
            self.pirls_failed += 1
            return np.inf
        if self.n_agq > 1:
            return agq_deviance(self.s, st, self.beta_of(x), self.n_agq)
        return float(st["pdev"] + st["ldL2"])

    def accept(self, x) -> None:
        st = self.state(np.asarray(x, float))
        if st is not None:
            self.u = st["u"]


def glm_start(system: PenalisedSystem, iters: int = 50, family=None):
    """Fixed effects of the GLM without random effects (IRLS from R's ``mustart``) and the IRLS
    weights there: the starting values of the fit (``family``: another than the system's)."""
    fam, y, tr, X = family or system.family, system.y, system.trials, system.X
    mu = (tr * y + 0.5) / (tr + 1) if fam.name == "binomial" else y + 0.1
    eta = fam.linkfun(mu)
    beta = np.zeros(system.p)
    for _ in range(iters):
        mu, w, res = fam.working(y, eta, tr)
        z = eta - system.offset + res
        sw = np.sqrt(w)
        new = np.linalg.lstsq(X * sw[:, None], z * sw, rcond=None)[0]
        eta = system.offset + X @ new
        if np.max(np.abs(new - beta)) < 1e-10 * (1 + np.max(np.abs(new))):
            beta = new
            break
        beta = new
    w = fam.working(y, eta, tr)[1]
    return beta, w


def steps(obj: Objective, x) -> np.ndarray:
    h = np.full(len(x), 2e-3)
    h[: obj.k] = 2e-3 * np.maximum(np.abs(x[: obj.k]), 0.1)
    return h


def bound_slopes(f, x, at_bound, h, fx, g):
    """``g`` with forward-difference slopes on the coordinates at their bound: a variance
    parameter's deviance is even in it, so a central difference at zero always reads zero."""
    g = g.copy()
    for i in np.flatnonzero(at_bound):
        e = np.zeros(len(x))
        e[i] = h[i]
        g[i] = (f(x + e) - fx) / h[i]
    return g


MAX_STEP = 2.0  # largest change of any coordinate in one Newton step (a trust region)


def newton(obj, x, lower, iters: int = 30, f=None, polish: bool = True):
    """Bounded, damped Newton on ``f`` (default ``obj``, the stage-2 deviance) from ``x``:
    coordinates on their bound stay there unless the deviance falls into the interior; no
    coordinate moves more than :data:`MAX_STEP` at once. Cheap Hessians (one-sided cross terms)
    while far; with ``polish``, central ones near the optimum, where the last one serves the
    checks and the standard errors. Returns (x, f(x), (g, H) at the last point or None)."""
    stage2 = f is None
    f = obj if stage2 else f
    fx = f(x)
    if stage2:
        obj.accept(x)
    central = False
    for _ in range(iters):
        h = steps(obj, x)
        g, H = fd_grad_hess(f, x, h, fx, central_cross=central)
        at_bound = (x - lower) <= 1e-10
        g = bound_slopes(f, x, at_bound, h, fx, g)
        free = ~at_bound | (g < 0)
        idx = np.flatnonzero(free)
        if not len(idx):
            return x, fx, (g, H) if central else None
        Hf, gf = H[np.ix_(idx, idx)], g[idx]
        ev = np.linalg.eigvalsh(Hf)
        if ev.min() <= 1e-8 * max(1.0, ev.max()):
            Hf = Hf + (abs(ev.min()) + 1e-3 * max(1.0, ev.max())) * np.eye(len(idx))
        step = -np.linalg.solve(Hf, gf)
        step *= min(1.0, MAX_STEP / max(float(np.max(np.abs(step))), 1e-300))
        t, moved = 1.0, False
        for _h in range(30):
            z = x.copy()
            z[idx] = np.maximum(x[idx] + t * step, lower[idx])
            fz = f(z)
            if fz <= fx:
                moved = fz < fx
                x, fx = z, fz
                if stage2:
                    obj.accept(x)
                break
            t /= 2
        size = float(np.max(np.abs(t * step)))
        if not polish and (not moved or size < 1e-4):
            return x, fx, None
        if central and (not moved or size < 1e-6):
            return x, fx, (g, H)  # derivatives at (within 1e-6 of) the solution
        if not moved or size < 1e-3:
            central = True
    return x, fx, None


def optimise(obj: Objective, theta0) -> dict:
    """Stage 1 from ``theta0`` (damped Newton on the theta-only deviance, to 1e-4), then
    stage 2 over (theta, gamma); returns the optimum and its bookkeeping."""
    s = obj.s
    lower_t = s.lower
    theta1 = newton(obj, np.asarray(theta0, float), lower_t, f=obj.stage1, polish=False)[0]
    obj.stage1(theta1)
    x0 = np.concatenate([theta1, obj.gamma_of(obj.beta)])
    lower = np.concatenate([lower_t, np.full(s.p, -np.inf)])
    x, fx, derivs = newton(obj, x0, lower)
    return {"x": x, "deviance": fx, "lower": lower, "start": np.asarray(theta0, float),
            "derivs": derivs}


def optimise_reml(obj: Objective, theta0) -> dict:
    """The REML criterion minimised over ``theta`` alone (the fixed effects are the joint
    modes), by the same bounded Newton steps, polished to central derivatives."""
    lower = obj.s.lower
    x, fx, derivs = newton(obj, np.asarray(theta0, float), lower, f=obj.reml)
    return {"x": x, "deviance": fx, "lower": lower, "start": np.asarray(theta0, float),
            "derivs": derivs, "f": obj.reml}


def check_solution(obj: Objective, sol: dict) -> dict:
    """Gradient and Hessian at the solution (central differences on the free coordinates)."""
    x, lower = sol["x"], sol["lower"]
    f = sol.get("f") or obj
    boundary = (x - lower) <= 1e-10
    if sol.get("derivs") is not None:
        g, H = sol["derivs"]
    else:
        if f is obj:
            obj.accept(x)
        g, H = fd_grad_hess(f, x, steps(obj, x), central_cross=True)
    g = bound_slopes(f, x, boundary, steps(obj, x), f(x), g)
    free = np.flatnonzero(~boundary)
    Hf = H[np.ix_(free, free)]
    ev = np.linalg.eigvalsh(Hf)
    pd_ok = bool(ev.min() > 0)
    dec = np.linalg.solve(Hf, g[free]) if pd_ok else np.full(len(free), np.inf)
    # on the boundary the gradient must point outwards (deviance rises into the interior)
    bound_ok = bool(np.all(g[boundary] >= -1e-6 * max(1.0, abs(sol["deviance"]))))
    return {"gradient": g, "hessian": H, "free": free, "pd": pd_ok,
            "max_decrement": float(np.max(np.abs(dec), initial=0.0)), "boundary_ok": bound_ok,
            "ok": pd_ok and bound_ok and float(np.max(np.abs(dec), initial=0.0)) < GRAD_TOL}


@dataclass(frozen=True, eq=False)
class GLMMFit:
    """A fitted generalized mixed model (the engine's fit object).

    ``theta`` is lme4's relative covariance factor parameter, ``deviance`` is ``-2 log L``
    (Laplace or adaptive quadrature, constants included), ``cov`` the fixed-effect covariance,
    ``covs`` the random-effect covariance matrix of each term, ``u`` the spherical conditional
    modes and ``b`` the conditional modes per term (levels x terms).
    """

    names: tuple
    blocks: tuple  # (group, term names, correlated, level labels) per random-effect term
    beta: np.ndarray
    cov: np.ndarray
    theta: np.ndarray
    covs: tuple
    deviance: float
    family: object
    n_agq: int
    converged: bool
    singular: bool
    messages: tuple
    n_obs: int
    n_levels: dict
    n_params: int
    restarts: tuple
    b: tuple
    design: object = None
    reml: bool = False
    gradient_check: dict = field(default_factory=dict, repr=False)

    @property
    def se(self) -> np.ndarray:
        d = np.diag(self.cov)
        return np.sqrt(np.where(d >= 0, d, np.nan))


def _starts(k_lower: np.ndarray) -> list[tuple[str, np.ndarray]]:
    diag = np.isfinite(k_lower)
    out = [("lme4's start (relative factors = identity)", np.where(diag, 1.0, 0.0))]
    out.append(("small variances (relative factors = 0.3 I)", np.where(diag, 0.3, 0.0)))
    out.append(("large variances (relative factors = 2 I)", np.where(diag, 2.0, 0.0)))
    return out


def nb_log_theta_start(system: PenalisedSystem) -> float:
    """log of a moment estimate of the negative binomial's shape from the Poisson GLM's means:
    ``sum mu^2 / sum((y - mu)^2 - mu)`` (10 without overdispersion), clipped to [0.05, 1e4]."""
    beta, _ = glm_start(system, family=type(system.family)("poisson", "log"))
    mu = np.exp(system.offset + system.X @ beta)
    extra = float(np.sum((system.y - mu) ** 2 - mu))
    th = float(np.sum(mu * mu) / extra) if extra > 0 else 10.0
    return float(np.log(np.clip(th, 0.05, 1e4)))


def _reml_estimates(obj: Objective, theta, chk: dict):
    """(state, beta, fixed-effect covariance) at the REML optimum: the joint modes, and the
    inverse of the fixed-effect Schur complement of the joint penalised Hessian (``(X' V^-1
    X)^-1`` in a linear mixed model) plus the uncertainty of ``theta`` carried through the
    modes, ``J V_theta J'`` with ``J = d beta / d theta`` (finite differences) and ``V_theta``
    twice the inverse Hessian of the criterion, as TMB's ``sdreport`` does for glmmTMB."""
    s = obj.s
    free = chk["free"]
    J = np.zeros((s.p, len(free)))
    h = steps(obj, theta)
    for c, i in enumerate(free):
        up, down = theta.copy(), theta.copy()
        up[i] += h[i]
        down[i] = max(theta[i] - h[i], s.lower[i])
        obj.reml(up)
        b_up = obj.beta.copy()
        obj.reml(down)
        J[:, c] = (b_up - obj.beta) / (up[i] - down[i])
    try:
        Vt = 2 * np.linalg.inv(chk["hessian"][np.ix_(free, free)])
    except np.linalg.LinAlgError:
        Vt = np.full((len(free), len(free)), np.nan)
    obj.reml(theta)
    s.lambdas_at(theta)
    st = s.pirls(obj.beta, obj.u, with_x=True)
    if st is None:
        return None, obj.beta, np.full((s.p, s.p), np.nan)
    Linv = np.linalg.inv(st["fac"]["LS"][s.q2 :, s.q2 :])
    return st, st["beta"], Linv.T @ Linv + J @ Vt @ J.T


def fit_glmm(system: PenalisedSystem, names, n_agq: int = 1, design=None, labels=None,
             restart: bool = True, reml: bool = False) -> GLMMFit:
    """Fit the model held by ``system`` by maximum likelihood or, with ``reml``, by the
    Laplace-approximated restricted likelihood; ``labels`` gives the level labels of each
    term."""
    obj = Objective(system, n_agq)
    run = optimise_reml if reml else optimise
    tried, best = [], None
    for i, (label, theta0) in enumerate(_starts(system.lower)):
        if system.n_extra:
            theta0 = np.concatenate([theta0[: -system.n_extra], [nb_log_theta_start(system)]])
        if i > 0 and not restart:
            break
        sol = run(obj, theta0)
        chk = check_solution(obj, sol)
        tried.append((label, sol["deviance"], chk["ok"]))
        better = best is None or (chk["ok"] and not best[1]["ok"]) or (
            chk["ok"] == best[1]["ok"] and sol["deviance"] < best[0]["deviance"] - 1e-9
        )
        if better:
            best = (sol, chk, label)
        on_boundary = bool(np.any((sol["x"] - sol["lower"])[: obj.k] <= 1e-10))
        if chk["ok"] and not on_boundary and i == 0:
            break  # an interior optimum that passes the checks: no restart needed
    sol, chk, won = best
    x = sol["x"]
    k = obj.k
    p = system.p
    theta = x[:k].copy()
    if reml:
        st, beta, cov = _reml_estimates(obj, theta, chk)
    else:
        obj.accept(x)
        st = obj.state(x)
        beta = obj.beta_of(x)
        free = chk["free"]
        H = chk["hessian"][np.ix_(free, free)]
        try:
            V = 2 * np.linalg.inv(H)
        except np.linalg.LinAlgError:
            V = np.full(H.shape, np.nan)
        cov = obj.Rinv @ V[-p:, -p:] @ obj.Rinv.T
    lams = system.lambdas(theta)
    covs = tuple(lam @ lam.T for lam in lams)
    diag_theta = theta[np.isfinite(system.lower)]
    singular = bool(np.any(diag_theta < SINGULAR_TOL))
    messages = []
    converged = bool(chk["ok"] and st is not None and st["converged"])
    if not chk["pd"]:
        messages.append(
            "The optimiser did not reach a minimum: the Hessian of the deviance at the "
            "solution is not positive definite, so the standard errors cannot be trusted. "
            "Simplify the random effects or rescale the predictors."
        )
    elif not chk["ok"]:
        messages.append(
            f"The optimiser stopped short of the optimum (largest Newton step still to take "
            f"{chk['max_decrement']:.2g}, tolerance {GRAD_TOL:g}); treat the estimates as "
            "approximate."
        )
    if st is not None and not st["converged"]:
        messages.append("PIRLS (the conditional modes) did not converge at the solution.")
    if singular:
        zero = [f"{b.group} ({', '.join(b.names)})" for b, lam in zip(system.blocks, lams)
                if np.any(np.abs(np.diag(lam)) < SINGULAR_TOL)]
        messages.append(
            "Singular fit: the random-effect variance of " + "; ".join(zero) + " is estimated "
            "at zero (or a correlation at +/-1). The data carry no information on it; consider "
            "removing that term. Wald standard errors are computed with it held at zero."
        )
    if len(tried) > 1:
        messages.append(
            "Restarts: " + "; ".join(f"{lab}: deviance {d:.6f}{'' if ok else ' (checks fail)'}"
                                     for lab, d, ok in tried) + f". Kept: {won}."
        )
    # conditional modes per term: b = Lambda u, levels x q
    u = st["u"] if st is not None else obj.u
    b_terms, off2 = [], system.g * system.q1
    col1 = 0
    for i, blk in enumerate(system.blocks):
        if i in system.b1:
            uu = u[: off2].reshape(system.g, system.q1)[:, col1 : col1 + blk.q]
            col1 += blk.q
        else:
            start = off2 + sum(system.blocks[j].q * system.blocks[j].n_levels
                               for j in system.b2 if j < i)
            uu = u[start : start + blk.q * blk.n_levels].reshape(blk.n_levels, blk.q)
        b_terms.append(uu @ lams[i].T)
    labels = labels or [None] * len(system.blocks)
    n_levels = {}
    for blk in system.blocks:
        n_levels[blk.group] = blk.n_levels
    return GLMMFit(
        names=tuple(names),
        blocks=tuple((b.group, b.names, b.correlated, lab) for b, lab in zip(system.blocks,
                                                                                labels)),
        beta=beta, cov=cov, theta=theta, covs=covs, deviance=float(sol["deviance"]),
        family=system.family, n_agq=int(n_agq), converged=converged, singular=singular,
        messages=tuple(messages), n_obs=system.n, n_levels=n_levels,
        n_params=int(p + k), restarts=tuple(tried), b=tuple(b_terms), design=design,
        reml=bool(reml),
        gradient_check={"max_decrement": chk["max_decrement"], "pd": chk["pd"],
                        "kept": won, "n_eval": obj.n_eval},
    )


def _criterion(self) -> float:
    return self.deviance


GLMMFit.criterion = property(_criterion, doc="``-2 log L`` (for likelihood-ratio tests).")
