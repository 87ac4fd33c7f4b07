"""One argument vocabulary (docs/architecture.md, rule 1): the old names still work, with a DeprecationWarning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import ModelError


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    n = 300
    d = pd.DataFrame({"x": rng.normal(size=n), "g": rng.binomial(2, 0.4, n),
                      "w": rng.normal(size=n)})
    d["med"] = 0.4 * d.x + 0.3 * d.x * d.w + rng.normal(size=n)
    d["y"] = 0.3 * d.x + 0.4 * d.med + 0.3 * d.x * d.g + rng.normal(size=n)
    return d


def test_gxe_takes_x_and_m_and_warns_on_gene_and_env(data):
    new = hs.gxe(data, y="y", x="x", m="g")
    with pytest.warns(DeprecationWarning, match="gene= is deprecated; use m="):
        old = hs.gxe(data, y="y", gene="g", env="x")
    pd.testing.assert_frame_equal(new.table, old.table)
    with pytest.raises(ModelError, match="not both"), pytest.warns(DeprecationWarning):
        hs.gxe(data, y="y", x="x", m="g", gene="w")


def test_moderated_mediation_takes_m_and_warns_on_w(data):
    new = hs.moderated_mediation(data, x="x", mediator="med", y="y", m="w", m_values=[-1, 1],
                                 n_boot=50, seed=1)
    with pytest.warns(DeprecationWarning, match="w= is deprecated; use m="):
        old = hs.moderated_mediation(data, x="x", mediator="med", y="y", w="w",
                                     w_values=[-1, 1], n_boot=50, seed=1)
    pd.testing.assert_frame_equal(new.table, old.table)


def test_one_name_for_robust_covariance(data):
    new = hs.mediation(data, x="x", mediator="med", y="y", robust="HC3", n_boot=50, seed=1)
    with pytest.warns(DeprecationWarning, match="cov_type= is deprecated; use robust="):
        old = hs.mediation(data, x="x", mediator="med", y="y", cov_type="HC3", n_boot=50,
                           seed=1)
    pd.testing.assert_frame_equal(new.table, old.table)
    plain = hs.mediation(data, x="x", mediator="med", y="y", n_boot=50, seed=1)
    assert not np.allclose(new.table["std_error"], plain.table["std_error"])
    # the same word in the moderation family
    assert hs.moderation(data, y="y", x="x", m="g", robust="HC3").robust == "HC3"
