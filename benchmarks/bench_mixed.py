"""Speed of hs.mixed against a plain statsmodels call on the same data (not part of the tests).

Random intercept + random slope model, 200 subjects x 10 observations. The plain call fits the
same fixed and random effects with ``smf.mixedlm(...).fit(reml=True)`` on data whose within/
between columns were computed beforehand; hs.mixed does the centring, its own REML start values,
the statsmodels fit, lme4-style SEs, Satterthwaite df and the null-model ICC. Reports the best of
``--repeat`` runs of each and the ratio. Run: ``python benchmarks/bench_mixed.py``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

import hormonestats as hs


def simulate(n_sub: int = 200, n_obs: int = 10, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    subj = np.repeat(np.arange(n_sub), n_obs)
    pm = rng.normal(0, 1, n_sub)[subj]
    x = pm + rng.normal(0, 1, subj.size)
    xw = x - pd.Series(x).groupby(subj).transform("mean").to_numpy()
    u0 = rng.normal(0, 1, n_sub)[subj]
    u1 = rng.normal(0, 0.3, n_sub)[subj]
    y = 1 + (0.5 + u1) * xw - 0.3 * pm + u0 + rng.normal(0, 1, subj.size)
    return pd.DataFrame({"subject": subj, "x": x, "y": y})


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    data = simulate()
    pre = data.copy()
    pm = pre.groupby("subject")["x"].transform("mean")
    pre["x_within"] = pre["x"] - pm
    pre["x_between"] = pm - pre.groupby("subject")["x"].mean().mean()

    def plain():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            smf.mixedlm(
                "y ~ x_within + x_between", pre, groups="subject", re_formula="~x_within"
            ).fit(reml=True)

    def plain_lbfgs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            smf.mixedlm(
                "y ~ x_within + x_between", pre, groups="subject", re_formula="~x_within"
            ).fit(reml=True, method="lbfgs")

    def ours():
        hs.mixed(data, y="y", x="x", subject="subject")

    ours()  # warm up imports
    plain()
    t_plain = best_of(plain, args.repeat)
    t_lbfgs = best_of(plain_lbfgs, args.repeat)
    t_ours = best_of(ours, args.repeat)
    print(f"data: {data['subject'].nunique()} subjects x {len(data) // data['subject'].nunique()}")
    print(
        f"statsmodels smf.mixedlm(...).fit(reml=True): {t_plain * 1000:.1f} ms (best of {args.repeat})"
    )
    print(
        f"hs.mixed (with Satterthwaite df and ICC):    {t_ours * 1000:.1f} ms (best of {args.repeat})"
    )
    print(f"statsmodels, method='lbfgs' only:            {t_lbfgs * 1000:.1f} ms")
    print(f"ratio hs.mixed / statsmodels default: {t_ours / t_plain:.2f}")
    print(f"ratio hs.mixed / statsmodels lbfgs:   {t_ours / t_lbfgs:.2f}")
    res = hs.mixed(data, y="y", x="x", subject="subject")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm_fit = smf.mixedlm(
            "y ~ x_within + x_between", pre, groups="subject", re_formula="~x_within"
        ).fit(reml=True)
    print(
        f"REML criterion: hs.mixed {res.reml_criterion:.3f}; "
        f"statsmodels default {-2 * sm_fit.llf:.3f} (lower is better)"
    )


if __name__ == "__main__":
    main()
