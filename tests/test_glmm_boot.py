"""Parametric bootstrap of generalized mixed models (GLMMResult.bootstrap): reproducible through
the execution layer (the same draws with one worker or two) and, in distribution, lme4's
``bootMer`` on cbpp (``tests/reference/glmm_boot.R``, 2,000 replicates).

Monte Carlo tolerance of the comparison (slow test, 2,000 replicates each side), with ``s`` the
bootstrap SD from R: means within 0.15 s (about 4 Monte Carlo SE of the difference, 0.032 s),
SDs within 0.1 s (about 4 SE, 0.022 s), 2.5% and 97.5% quantiles within 0.4 s (about 4 SE of
the difference of two quantiles of a normal, 0.085 s; wider for skewed parameters). Replicates
that separate completely are not comparable in mean and SD (see the test).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import HormoneStatsError, ModelError

REF = Path(__file__).parent / "reference"


def _cbpp():
    d = pd.read_csv(REF / "glmm_cbpp.csv")
    d["herd"], d["period"] = d["herd"].astype(str), d["period"].astype(str)
    d["failures"] = d["size"] - d["incidence"]
    return hs.mixed(d, formula="cbind(incidence, failures) ~ period + (1 | herd)",
                    family="binomial", reml=False)


def test_bootstrap_is_the_same_with_one_or_two_workers():
    res = _cbpp()
    one = res.bootstrap(n=4, seed=11)
    two = res.bootstrap(n=4, execution={"seed": 11, "n_jobs": 2})
    pd.testing.assert_frame_equal(one.attrs["draws"], two.attrs["draws"])
    pd.testing.assert_frame_equal(one, two)
    assert one["term"].tolist() == ["Intercept", "period[2]", "period[3]", "period[4]",
                                    "sd(herd: Intercept)"]
    assert (one["n_boot"] == 4).all() and one.attrs["seed"] == 11
    other = res.bootstrap(n=4, seed=12)
    assert not np.allclose(other.attrs["draws"]["Intercept"], one.attrs["draws"]["Intercept"])
    assert (one["conf_low"] <= one["conf_high"]).all()


def test_bootstrap_refuses_bad_arguments():
    res = _cbpp()
    with pytest.raises(ModelError, match="positive whole number"):
        res.bootstrap(n=0)
    with pytest.raises(HormoneStatsError, match="n_jobs"):
        res.bootstrap(n=5, execution={"n_jobs": 0})


@pytest.mark.slow
def test_bootstrap_matches_bootmer_in_distribution():
    """About 4 minutes with two workers. Measured (in units of R's bootstrap SD): means within
    0.03, SDs within 0.02, percentile limits within 0.09."""
    ref = pd.read_csv(REF / "glmm_boot_values.csv").set_index("term")
    res = _cbpp()
    boot = res.bootstrap(n=2000, execution={"seed": 2029, "n_jobs": 2})
    draws = boot.attrs["draws"]
    limits = boot.set_index("term")
    names = {"(Intercept)": "Intercept", "period2": "period[2]", "period3": "period[3]",
             "period4": "period[4]", "sd_herd": "sd(herd: Intercept)"}
    for r_name, name in names.items():
        s = ref.loc[r_name, "sd"]
        assert abs(limits.loc[name, "conf_low"] - ref.loc[r_name, "q025"]) < 0.4 * s, name
        assert abs(limits.loc[name, "conf_high"] - ref.loc[r_name, "q975"]) < 0.4 * s, name
        if name == "period[4]":
            # a replicate without any case in period 4 separates completely: its estimate is
            # -infinity, where glmer stops early and this engine goes further, so the mean and
            # SD of period 4 are not comparable; its percentile limits are
            assert (draws[name] < -10).sum() <= 10
            continue
        v = draws[name].to_numpy()
        assert abs(v.mean() - ref.loc[r_name, "mean"]) < 0.15 * s, name
        assert abs(v.std(ddof=1) - s) < 0.1 * s, name
    assert boot["n_boot"].min() == 2000 and boot.attrs["n_not_converged"] <= 10
