"""hs.simulate_study(..., out=): a simulated study written to a folder in chunks."""

import hashlib

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import DataError, HormoneStatsError
from hormonestats.workflows.simulated_folder import write_simulated_study

N = 650  # blocks of 150: four whole blocks and one of 50


def _tables(info):
    study = hs.read_study(info["contract"], info["data_dir"])
    return {name: frame.reset_index(drop=True) for name, frame in study.tables.items()}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("sim")
    return {c: write_simulated_study("between", n=N, out=root / f"c{c}", seed=7,
                                     chunk_subjects=c, subject_block=150)
            for c in (150, 450)}


def test_the_chunk_size_does_not_change_the_study(written):
    small, large = (_tables(written[c]) for c in (150, 450))
    assert len(written[150]["files"]) == 5 and len(written[450]["files"]) == 2
    assert small.keys() == large.keys()
    for name in small:
        pd.testing.assert_frame_equal(small[name], large[name], obj=name)


def test_the_scanned_study_validates_and_ids_are_study_wide(written):
    info = written[150]
    with hs.scan_study(info["contract"], info["data_dir"], partition_rows=100_000) as study:
        report = hs.validate(study)
    report.raise_for_errors()
    tables = _tables(info)
    subjects = tables["subjects"]
    assert len(subjects) == N and subjects["subject_id"].is_unique
    assert subjects["subject_id"].iloc[[0, -1]].tolist() == ["S001", "S650"]
    samples = tables["samples"]
    wells = samples[samples["sample_type"].eq("subject")]
    assert set(wells["subject_id"]) <= set(subjects["subject_id"])
    assert (wells["sample_id"] == wells["subject_id"] + "-1").all()
    # each block's plates are its own: no plate holds subjects of two blocks
    block = wells["subject_id"].str[1:].astype(int).sub(1) // 150
    assert (block.groupby(wells["plate_id"]).nunique() == 1).all()
    # the arm is balanced within each block, so in the whole study
    assert subjects["arm"].value_counts().to_dict() == {"oxytocin": 325, "placebo": 325}
    assert info["truth"]["models"]["rmet_total"]["coef"]["rs53576_gg"] == pytest.approx(0.396,
                                                                                          abs=1e-3)


def test_blocks_are_different_draws(written):
    subjects = _tables(written[150])["subjects"]
    ages = subjects["age"].to_numpy()[:600].reshape(4, 150)
    assert len({tuple(a) for a in ages}) == 4


def test_a_foreign_folder_is_refused_and_our_own_replaced(tmp_path):
    out = tmp_path / "study"
    out.mkdir()
    mine = out / "notes.txt"
    mine.write_text("my notes", encoding="utf-8")
    digest = hashlib.sha256(mine.read_bytes()).hexdigest()
    with pytest.raises(DataError, match="did not write"):
        hs.simulate_study("between", n=300, seed=1, out=out, chunk_subjects=200,
                          subject_block=200)
    assert hashlib.sha256(mine.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    other = tmp_path / "ours"
    first = hs.simulate_study("between", n=300, seed=1, out=other, chunk_subjects=200,
                              subject_block=200)
    second = hs.simulate_study("between", n=300, seed=2, out=other, chunk_subjects=200,
                               subject_block=200)
    assert first["contract"] == second["contract"]
    assert (other / "COMPLETE").is_file()


def test_above_the_in_memory_limit_out_is_required_and_designs_are_named(tmp_path):
    from hormonestats.simulate.simulator import MAX_SUBJECTS

    with pytest.raises(HormoneStatsError, match="give out=FOLDER"):
        hs.simulate_study("between", n=MAX_SUBJECTS + 1, seed=1)
    with pytest.raises(HormoneStatsError, match="design 'cycle'"):
        hs.simulate_study("cycle", n=MAX_SUBJECTS + 1, seed=1, out=tmp_path / "x")
    with pytest.raises(HormoneStatsError, match="whole multiple"):
        write_simulated_study("between", n=100, out=tmp_path / "y", chunk_subjects=300,
                              subject_block=200)
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_in_memory_path_is_unchanged():
    from hormonestats.simulate.simulator import simulate_study

    a = hs.simulate_study("between", n=40, seed=3)
    b = simulate_study("between", n=40, seed=3)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert np.array_equal(a.truth["rmet_key"], b.truth["rmet_key"])
