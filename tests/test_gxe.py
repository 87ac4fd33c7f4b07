"""Tests of hs.gxe against R lm() with Keller (2014) terms, and simulated confounding.

Reference: ``tests/reference/moderation.R`` -> ``gxe_lm.csv`` (lm of y ~ mc * gene + c1 +
c1c:gene + c1c:mc, and without the Keller terms) and ``gxe_slopes.csv`` (slopes of the centred
environment at gene = 0, 1, 2 from R's vcov). Tolerance 1e-7 relative (exact least squares).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import ModelError

REF = Path(__file__).parent / "reference"
NAMES = {
    "(Intercept)": "Intercept",
    "mc": "m",
    "gene": "gene",
    "c1": "c1",
    "mc:gene": "m:gene",
    "gene:c1c": "c1:gene",
    "mc:c1c": "c1:m",
}


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "moderation_data.csv")


@pytest.mark.parametrize("keller,model", [(True, "keller"), (False, "plain")])
def test_matches_r_lm(data, keller, model):
    ref = pd.read_csv(REF / "gxe_lm.csv")
    ref = ref[ref["model"] == model]
    before = data.copy()
    res = hs.gxe(data, y="y", m="gene", x="m", covariates=["c1"], keller=keller)
    pd.testing.assert_frame_equal(data, before)
    tab = res.table.set_index("term")
    assert len(tab) == len(ref)
    for _, r in ref.iterrows():
        row = tab.loc[NAMES[r["term"]]]
        for col in ("estimate", "std_error", "statistic", "p_value"):
            assert row[col] == pytest.approx(r[col], rel=1e-7), (r["term"], col)
    assert res.interaction_term == "m:gene"
    assert res.interaction["estimate"] == pytest.approx(tab.loc["m:gene", "estimate"])
    assert res.keller_terms == (("c1:m", "c1:gene") if keller else ())


def test_slopes_by_genotype_match_r(data):
    ref = pd.read_csv(REF / "gxe_slopes.csv")
    res = hs.gxe(data, y="y", m="gene", x="m", covariates=["c1"])
    ss = res.simple_slopes()
    assert ss["m_label"].tolist() == ["0 copies", "1 copy", "2 copies"]
    np.testing.assert_allclose(ss["estimate"], ref["estimate"], rtol=1e-7)
    np.testing.assert_allclose(ss["std_error"], ref["std_error"], rtol=1e-7)
    assert "Keller 2014" in res.summary() and "<table" in res._repr_html_()
    pr = res.predictions(n_points=4)
    assert set(pr["m_label"]) == {"0 copies", "1 copy", "2 copies"}


def test_codings(data):
    dom = hs.gxe(data, y="y", m="gene", x="m", coding="dominant")
    manual = data.assign(carrier=(data["gene"] >= 1).astype(int))
    ref = hs.gxe(manual, y="y", m="carrier", x="m")
    np.testing.assert_allclose(dom.table["estimate"], ref.table["estimate"], rtol=1e-12)
    assert [lab for _, lab in dom.gene_levels] == ["0 copies", "1-2 copies"]
    rec = hs.gxe(data, y="y", m="gene", x="m", coding="recessive")
    ref = hs.gxe(data.assign(hom=(data["gene"] == 2).astype(int)), y="y", m="hom", x="m")
    np.testing.assert_allclose(rec.table["estimate"], ref.table["estimate"], rtol=1e-12)
    # group coding of a string column, with the reference level chosen
    grp = data.assign(rs=np.where(data["gene"] >= 1, "A carrier", "GG"))
    g1 = hs.gxe(grp, y="y", m="rs", x="m", coding="group", reference="GG")
    np.testing.assert_allclose(g1.table["estimate"], dom.table["estimate"], rtol=1e-12)
    assert g1.gene_levels == ((0.0, "GG"), (1.0, "A carrier"))
    assert g1.simple_slopes()["m_label"].tolist() == ["GG", "A carrier"]
    g2 = hs.gxe(grp, y="y", m="rs", x="m", coding="group")  # reference "A carrier"
    assert g2.interaction["estimate"] == pytest.approx(-g1.interaction["estimate"], rel=1e-10)


def test_gene_errors(data):
    with pytest.raises(ModelError, match=r"allele counts 0, 1 or 2.*row 0: \[3.0\]"):
        hs.gxe(
            data.assign(gene=data["gene"].where(data.index != 0, 3)), y="y", m="gene", x="m"
        )
    with pytest.raises(ModelError, match="coding='group'"):
        hs.gxe(data, y="y", m="grp", x="m")
    with pytest.raises(ModelError, match="exactly two levels"):
        hs.gxe(data, y="y", m="grp", x="m", coding="group")
    with pytest.raises(ModelError, match="coding must be one of"):
        hs.gxe(data, y="y", m="gene", x="m", coding="codominant")
    with pytest.raises(ModelError, match="no gene column"):
        hs.gxe(data, y="y", m="rs53576", x="m")


def test_keller_terms_remove_confounded_false_positives():
    """A covariate that moderates E and correlates with G fakes a G x E without Keller terms."""
    rng = np.random.default_rng(3)
    n_sim, n = 60, 300
    rej_plain = rej_keller = 0
    for _ in range(n_sim):
        c = rng.normal(size=n)
        g = rng.binomial(2, 1 / (1 + np.exp(-1.5 * c)))  # ancestry-like covariate drives G
        e = rng.normal(size=n)
        y = 0.3 * e + 0.5 * c * e + rng.normal(size=n)  # no true G x E
        d = pd.DataFrame({"y": y, "g": g, "e": e, "c": c})
        rej_plain += (
            hs.gxe(d, y="y", m="g", x="e", covariates=["c"], keller=False).interaction[
                "p_value"
            ]
            < 0.05
        )
        rej_keller += (
            hs.gxe(d, y="y", m="g", x="e", covariates=["c"]).interaction["p_value"] < 0.05
        )
    assert rej_plain / n_sim > 0.5  # badly inflated without the Keller terms
    assert rej_keller / n_sim <= 0.15  # nominal 5%; 60 runs, generous binomial upper bound
