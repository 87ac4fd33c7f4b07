"""The execution layer (hormonestats.parallel): same results in this process, in local worker
processes, on a LocalCluster and on a real Dask scheduler with two workers started as
subprocesses on 127.0.0.1; batching, seeds, checkpoints and resume; the CLI's power command
on a cluster."""

from __future__ import annotations

import json
import os
import pickle
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from parallel_tasks import draw as _draw

import hormonestats as hs
from hormonestats.cli import main
from hormonestats.errors import HormoneStatsError
from hormonestats.parallel import (
    backend,
    local_cluster,
    map_tasks,
    plan_batches,
    spawn_seeds,
)

SPEC = {"family": "moderation", "effects": {"x:m": 0.25}, "x_binary": True}
START_TIMEOUT = 90  # seconds allowed for the scheduler and workers to come up


# ----------------------------------------------------------------------------- clusters
def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


@pytest.fixture(scope="module")
def scheduler_address(tmp_path_factory):
    """A real ``dask scheduler`` and two ``dask worker`` processes on loopback, torn down
    at the end of the module whatever happens."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    info = folder / "scheduler.json"
    procs = []
    logs = []

    def start(args, name):
        log = (folder / f"{name}.log").open("w")
        logs.append(log)
        procs.append(
            subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log,
                             stderr=subprocess.STDOUT, cwd=folder)
        )

    try:
        start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
               "--scheduler-file", str(info)], "scheduler")
        deadline = time.monotonic() + START_TIMEOUT
        while not info.exists() or not info.read_text().strip():
            assert procs[0].poll() is None, (folder / "scheduler.log").read_text()
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for k in range(2):
            start(["worker", address, "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1",
                   "--no-dashboard", "--local-directory", str(folder / f"w{k}"),
                   "--death-timeout", "60", "--name", f"w{k}"], f"worker{k}")
        with Client(address, timeout=START_TIMEOUT, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)
        for log in logs:
            log.close()


@pytest.fixture(scope="module")
def cluster():
    with local_cluster(2) as lc:
        assert lc.scheduler_address.startswith("tcp://127.0.0.1:")
        yield lc


# -------------------------------------------------------------------------------- tests
def test_same_power_table_in_process_processes_cluster_and_scheduler(
    scheduler_address, cluster
):
    from distributed import Client

    kw = {"n": [40, 90], "n_sims": 600, "seed": 31, "progress": False}
    one = hs.power(SPEC, **kw)
    tables = {
        "2 local processes": hs.power(SPEC, n_jobs=2, **kw),
        "LocalCluster (2 workers)": hs.power(SPEC, scheduler=cluster, **kw),
        "scheduler address (2 workers)": hs.power(SPEC, scheduler=scheduler_address, **kw),
    }
    with Client(scheduler_address, set_as_default=False) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        tables["Client passed in"] = hs.power(SPEC, scheduler=client, **kw)
        # the workers really ran tasks (results came back from their processes)
        assert client.run(lambda: "hormonestats.simulate.batched" in sys.modules) == {
            w: True for w in client.scheduler_info()["workers"]
        }
    with Client(cluster, set_as_default=False) as client:  # no malloc trim setting
        assert set(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values()) == {
            None
        }
    for where, table in tables.items():
        pd.testing.assert_frame_equal(one, table, obj=where)
    assert one["n_sims"].tolist() == [600, 600]
    other = hs.power(SPEC, **{**kw, "seed": 32})
    assert not one.equals(other)


def test_sample_size_for_same_answer_on_the_cluster(scheduler_address):
    kw = {"n_range": (20, 300), "n_sims": 300, "seed": 5}
    spec = {"family": "two_group", "effects": {"d": 0.6}}
    pd.testing.assert_frame_equal(
        hs.sample_size_for(spec, **kw), hs.sample_size_for(spec, scheduler=scheduler_address, **kw)
    )


def test_map_tasks_same_results_wherever_and_however_batched(cluster):
    tasks = list(range(23))
    ref = [_draw(t, s) for t, s in zip(tasks, spawn_seeds(4, len(tasks)))]
    assert map_tasks(_draw, tasks, seed=4) == ref
    assert map_tasks(_draw, tasks, seed=4, batch_size=5) == ref
    assert map_tasks(_draw, tasks, seed=4, batch_size=3, weights=tasks, n_jobs=2) == ref
    assert map_tasks(_draw, tasks, seed=4, scheduler=cluster, progress=True) == ref
    assert map_tasks(_draw, tasks, seed=5) != ref
    # explicit seeds: tasks given the same seed share their random numbers
    same = map_tasks(_draw, [0, 0], seeds=[spawn_seeds(1, 1)[0]] * 2)
    assert same[0] == same[1]


def test_plan_batches_balances_weights_and_keeps_every_task_once():
    weights = [1, 8, 2, 2, 9, 1, 1, 3, 7, 1]
    plan = plan_batches(range(10), 3, weights)
    assert sorted(i for b in plan for i in b) == list(range(10))
    loads = [sum(weights[i] for i in b) for b in plan]
    assert max(loads) - min(loads) <= max(weights) / 2, loads
    assert all(b == sorted(b) for b in plan)
    assert plan_batches([3, 4], 5) == [[3], [4]]  # never more batches than tasks


def test_batches_pay_for_themselves():
    # tiny tasks are grouped: a pilot, then about one batch per worker (not one per task).
    # task_seconds is set far above any pilot's time so the count does not depend on the
    # machine's load (no timing decides the test)
    calls = []

    def run(func, batches):
        calls.extend(len(b) for b in batches)
        yield from (([(i, func(t, s)) for i, t, s in b]) for b in batches)

    with backend(1) as be:
        be.run = run
        map_tasks(_draw, list(range(200)), seed=1, scheduler=be, task_seconds=3600.0)
    assert len(calls) <= 4 and sum(calls) == 199, calls


def test_resume_computes_only_what_is_missing(tmp_path):
    folder = tmp_path / "chunks"
    tasks = list(range(10))
    clean = map_tasks(_draw, tasks, seed=9)
    seen: list[int] = []

    def flaky(task, seed):
        seen.append(task)
        if task == 7 and not folder.joinpath("allow").exists():
            raise RuntimeError("interrupted")
        return _draw(task, seed)

    fp = "flaky-run"
    with pytest.raises(RuntimeError, match="interrupted"):
        map_tasks(flaky, tasks, seed=9, batch_size=1, checkpoint=folder, fingerprint=fp)
    assert len(list(folder.glob("part-*.pkl"))) == 7
    folder.joinpath("allow").write_text("")
    seen.clear()
    resumed = map_tasks(flaky, tasks, seed=9, batch_size=1, checkpoint=folder, resume=True,
                        fingerprint=fp)
    assert resumed == clean
    assert seen == [7, 8, 9]
    # another run's folder is refused, not mixed in
    with pytest.raises(HormoneStatsError, match="holds another run"):
        map_tasks(_draw, tasks, seed=10, checkpoint=folder, resume=True)
    # without resume the earlier parts are replaced (and only our files are touched)
    seen.clear()
    again = map_tasks(flaky, tasks, seed=9, batch_size=1, checkpoint=folder, fingerprint=fp)
    assert again == clean and seen == tasks
    assert folder.joinpath("allow").exists()


def test_power_resumes_from_its_checkpoint(tmp_path):
    kw = {"n": [40, 80], "n_sims": 400, "seed": 3, "progress": False}
    folder = tmp_path / "chunks"
    first = hs.power(SPEC, checkpoint=folder, **kw)
    pd.testing.assert_frame_equal(first, hs.power(SPEC, **kw))
    # resume reads the stored chunks: doctor one and the resumed table shows it
    part = sorted(folder.glob("part-*.pkl"))[0]
    stored = pickle.loads(part.read_bytes())
    for res in stored.values():
        res["reject"] = np.ones_like(res["reject"])
    part.write_bytes(pickle.dumps(stored))
    resumed = hs.power(SPEC, checkpoint=folder, resume=True, **kw)
    assert (resumed["power"] > first["power"]).any()
    with pytest.raises(HormoneStatsError, match="another run"):
        hs.power(SPEC, checkpoint=folder, resume=True, **{**kw, "n_sims": 500})


def test_sample_size_for_resumes_each_evaluated_n(tmp_path):
    kw = {"n_range": (20, 200), "n_sims": 200, "seed": 2}
    spec = {"family": "two_group", "effects": {"d": 0.7}}
    first = hs.sample_size_for(spec, checkpoint=tmp_path, **kw)
    evaluated = sorted(p.name for p in tmp_path.iterdir())
    assert len(evaluated) == first["n_evaluations"].iloc[0] and "n200" in evaluated
    pd.testing.assert_frame_equal(first, hs.sample_size_for(spec, **kw))
    pd.testing.assert_frame_equal(first, hs.sample_size_for(spec, checkpoint=tmp_path,
                                                            resume=True, **kw))
    for part in (tmp_path / "n200").glob("part-*.pkl"):  # resume reads the stored chunks
        stored = pickle.loads(part.read_bytes())
        for res in stored.values():
            res["reject"] = np.zeros_like(res["reject"])
        part.write_bytes(pickle.dumps(stored))
    with pytest.raises(HormoneStatsError, match="upper end of n_range \\(--n-max"):
        hs.sample_size_for(spec, checkpoint=tmp_path, resume=True, **kw)


def test_cli_power_on_a_scheduler_a_local_cluster_and_resume(scheduler_address, tmp_path):
    args = ["power", "estradiol_oxytocin", "--n", "50", "120", "--sims", "300", "--seed", "8"]
    expected = hs.power("estradiol_oxytocin", n=[50, 120], n_sims=300, seed=8, progress=False)

    def table(folder: Path) -> pd.DataFrame:
        return pd.read_csv(next(folder.rglob("power.csv")))

    assert main([*args, "--scheduler", scheduler_address, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--workers", "2", "--out", str(tmp_path / "b")]) == 0
    for name in ("a", "b"):
        got = table(tmp_path / name)
        np.testing.assert_array_equal(got["power"], expected["power"])
        np.testing.assert_array_equal(got["n_sims"], expected["n_sims"])
    # an interrupted run left its chunks in the results folder: --resume uses them
    out = tmp_path / "c"
    hs.power("estradiol_oxytocin", n=[50, 120], n_sims=300, seed=8, progress=False,
             checkpoint=out / "chunks")
    part = sorted((out / "chunks").glob("part-*.pkl"))[0]
    stored = pickle.loads(part.read_bytes())
    for res in stored.values():
        res["reject"] = np.zeros_like(res["reject"])
    part.write_bytes(pickle.dumps(stored))
    assert main([*args, "--n-jobs", "2", "--out", str(out), "--resume"]) == 0
    assert (table(out)["power"].to_numpy() < expected["power"].to_numpy()).any()
    # usage errors exit 2
    assert main([*args, "--resume"]) == 2
    assert main([*args, "--workers", "2", "--scheduler", scheduler_address]) == 2


def test_unreachable_scheduler_and_bad_arguments_raise_readable_errors():
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(HormoneStatsError, match="could not reach the Dask scheduler"):
        with backend(scheduler=f"tcp://127.0.0.1:{port}", timeout=2):
            pass
    with pytest.raises(HormoneStatsError, match="n_jobs"):
        map_tasks(_draw, [1], n_jobs=0)
    with pytest.raises(HormoneStatsError, match="scheduler must be"):
        map_tasks(_draw, [1], scheduler=42)
    with pytest.raises(HormoneStatsError, match="seeds"):
        map_tasks(_draw, [1, 2], seeds=spawn_seeds(1, 3))
    with pytest.raises(HormoneStatsError, match="checkpoint"):
        map_tasks(_draw, [1], resume=True)
    with pytest.raises(HormoneStatsError, match="Generator"):
        map_tasks(_draw, [1], seed=np.random.default_rng(1))


def test_dask_is_imported_only_when_used():
    code = (
        "import sys, hormonestats, hormonestats.parallel, hormonestats.simulate.power\n"
        "import hormonestats as hs\n"
        "hs.power({'family': 'two_group'}, n=[20], n_sims=10, seed=1, progress=False)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "[]"


def test_results_folder_accepts_our_chunks_and_nothing_else(tmp_path):
    """An interrupted run's chunks are ours: the results folder may replace them; a foreign
    file beside them, or a run.json not written by hormonestats, is still refused."""
    from hormonestats.errors import DataError
    from hormonestats.parallel import checkpoint_files, map_tasks
    from hormonestats.report.provenance import check_results_folder

    out = tmp_path / "power"
    map_tasks(_square_task, [1, 2, 3], seed=1, checkpoint=out / "chunks", batch_size=1)
    assert "chunks/run.json" in checkpoint_files(out)
    check_results_folder(out)  # only our chunks: accepted
    (out / "chunks" / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match="notes.txt"):
        check_results_folder(out)
    other = tmp_path / "other"
    (other / "chunks").mkdir(parents=True)
    (other / "chunks" / "run.json").write_text('{"fingerprint": "x"}')
    assert checkpoint_files(other) == []
    with pytest.raises(DataError, match="run.json"):
        check_results_folder(other)


def _square_task(task, seed):
    return task * task
