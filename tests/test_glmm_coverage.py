"""Coverage of the 95% intervals of the generalized mixed model's fixed effects over 2,000
simulated trust games (30 subjects x 40 trials, crossed with 20 partners' faces; logistic,
crossed random intercepts; :func:`hormonestats.simulate.glmm_coverage.trust_game_estimates`,
two worker processes). Slow: run with ``-m slow``.

Issue 29 asks for 94-96% for every fixed effect. The default fit (``hs.mixed(...,
family="binomial")``: the restricted likelihood, t intervals on between-within df,
:mod:`hormonestats.models.glmm.ddf`) is held to that. Measured with this seed (Monte Carlo SE
0.49 points), see benchmarks/README.md for the table: Wald z intervals of the maximum-likelihood
fit (glmer's) covered 93.2% (intercept), 92.3% (oxytocin, between subjects) and 92.9%
(face_trust, between faces).
"""

from __future__ import annotations

import pytest

from hormonestats.simulate.glmm_coverage import interval_coverage, trust_game_estimates

N_SIM = 2000


@pytest.mark.slow
def test_default_intervals_cover_94_to_96_percent_over_2000_trust_games():
    est = trust_game_estimates(N_SIM, execution={"seed": 2029, "n_jobs": 2})
    assert est["converged"].mean() > 0.99
    cov = interval_coverage(est).set_index("term")
    print(cov.to_string())
    assert (cov["n_sim"] == N_SIM).all()
    for term in ("Intercept", "oxytocin", "face_trust"):
        assert 0.94 <= cov.loc[term, "t_df"] <= 0.96, (term, cov.loc[term, "t_df"])
