"""One execution layer for embarrassingly parallel work: power, sample size, sensitivity runs.

``map_tasks(func, tasks, seed=...)`` calls ``func(task, seed_sequence)`` for every task and
returns the results in task order. Where the calls run is chosen by two arguments:

* in this process (the default, ``n_jobs=1``);
* local worker processes with ``n_jobs`` (loky's reusable process pool; ``-1``: all cores);
* a dask.distributed cluster with ``scheduler``: an address (``"tcp://host:8786"``), a
  ``distributed.Client`` or a cluster object such as ``distributed.LocalCluster``. Dask is
  imported only here and only then (``import hormonestats`` stays light).

Same numbers at any scale (docs/architecture.md, rule 12): every task draws from its own
:class:`numpy.random.SeedSequence` (children of ``seed`` or given by the caller), so the
results do not depend on how tasks are grouped or where they run: one worker, many workers and
a cluster give bit-identical results.

Chunking: one call per task would drown short tasks in dispatch overhead (a 100-simulation
power chunk takes 5-50 ms; a round trip to a worker several ms). Tasks are therefore grouped
into batches: the first pending task runs here as a pilot and its time sets the number of
batches so that each runs about ``task_seconds`` (a multiple of the number of workers, at most
one per task). Batches are filled longest-first by the tasks' ``weights`` (relative costs, e.g.
the sample size), so they take about equally long. Progress bars (rich) advance as batches
finish.

Any list of task specs works the same way, e.g. the specifications of a multiverse::

    specs = [{"lod": lod, "outliers": out} for lod in ("lod/2", "lod/sqrt2")
             for out in ("keep", "winsorize")]
    rows = map_tasks(partial(run_spec, study), specs, seed=1, scheduler="tcp://host:8786")

(``run_spec(study, spec, seed)`` a module-level function returning, say, a one-row table).

Resumable runs: with ``checkpoint=FOLDER`` every finished batch is written to the folder
(``part-*.pkl``, next to ``run.json`` which identifies the run); ``resume=True`` reloads the
finished tasks of the same run and computes only the rest. A folder that holds another run
is refused rather than mixed in; without ``resume`` our earlier part files are replaced. Only
files this module wrote are ever removed. The part files are pickles: resume only from
folders you wrote yourself.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import os
import pickle
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from .errors import HormoneStatsError

__all__ = [
    "Backend",
    "backend",
    "local_cluster",
    "map_tasks",
    "plan_batches",
    "seed_sequence",
    "spawn_seeds",
]

#: Target run time of one batch (seconds): long enough to pay for a dispatch to a worker.
TASK_SECONDS = 0.5
_RUN_FILE = "run.json"
#: what a checkpoint's run file says of its writer (results folders recognise our chunks by it)
CHECKPOINT_MARK = "hormonestats.parallel"
_PART_PREFIX = "part-"
_SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


# ------------------------------------------------------------------------------- seeds
def seed_sequence(seed) -> np.random.SeedSequence:
    """``seed`` (None, an int, a sequence of ints or a SeedSequence) as a SeedSequence."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        raise HormoneStatsError("seed must be an int or a SeedSequence, not a Generator")
    try:
        return np.random.SeedSequence(seed)
    except (TypeError, ValueError) as err:
        raise HormoneStatsError(
            f"seed must be a non-negative int or a SeedSequence, got {seed!r}"
        ) from err


def spawn_seeds(seed, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent child seeds of ``seed`` (the same ``seed`` gives the same children).

    >>> [s.spawn_key for s in spawn_seeds(7, 3)]
    [(0,), (1,), (2,)]
    """
    return seed_sequence(seed).spawn(int(n))


# ----------------------------------------------------------------------------- batching
def plan_batches(
    indices: Sequence[int], n_batches: int, weights: Sequence[float] | None = None
) -> list[list[int]]:
    """Split ``indices`` into ``n_batches`` batches of about equal total weight.

    Longest-processing-time-first: the heaviest task goes to the lightest batch (ties to
    the lower index), so the plan is deterministic. Each batch lists its tasks in order.

    >>> plan_batches([0, 1, 2, 3, 4, 5], 2, weights=[1, 1, 1, 1, 4, 4])
    [[0, 2, 4], [1, 3, 5]]
    """
    indices = list(indices)
    n_batches = max(1, min(int(n_batches), len(indices)))
    w = {i: 1.0 for i in indices} if weights is None else {i: float(weights[i]) for i in indices}
    order = sorted(indices, key=lambda i: (-w[i], i))
    heap = [(0.0, b) for b in range(n_batches)]
    batches: list[list[int]] = [[] for _ in range(n_batches)]
    for i in order:
        load, b = heapq.heappop(heap)
        batches[b].append(i)
        heapq.heappush(heap, (load + w[i], b))
    return [sorted(b) for b in batches if b]


def _run_batch(func: Callable, items: list[tuple[int, Any, np.random.SeedSequence]]):
    """Run one batch (in a worker): ``[(index, result), ...]``."""
    return [(i, func(task, seed)) for i, task, seed in items]


# ----------------------------------------------------------------------------- backends
class Backend:
    """Where tasks run: ``kind`` is ``"local"`` (this process), ``"processes"`` or ``"dask"``.

    Make one with :func:`backend` (a context manager that also shuts down what it started)
    to reuse workers over several :func:`map_tasks` calls.
    """

    def __init__(self, kind: str, workers: int, executor=None, client=None):
        self.kind, self.workers, self.executor, self.client = kind, workers, executor, client

    def __repr__(self) -> str:
        return f"Backend({self.kind!r}, workers={self.workers})"

    def run(self, func: Callable, batches: list[list[tuple]]) -> Iterator[list[tuple]]:
        """Yield each batch's ``[(index, result), ...]`` as it finishes."""
        if self.kind == "local":
            for batch in batches:
                yield _run_batch(func, batch)
            return
        if self.kind == "processes":
            from concurrent.futures import as_completed

            futures = [self.executor.submit(_run_batch, func, b) for b in batches]
            try:
                for fut in as_completed(futures):
                    yield fut.result()
            finally:
                for fut in futures:
                    fut.cancel()
            return
        from distributed import as_completed

        remote = self.client.scatter(func, hash=False, broadcast=True)
        futures = [self.client.submit(_run_batch, remote, b, pure=False) for b in batches]
        try:
            for fut in as_completed(futures, loop=self.client.loop):
                yield fut.result()
        finally:
            self.client.cancel(futures)


@contextmanager
def local_cluster(n_workers: int = 2):
    """A ``distributed.LocalCluster`` of ``n_workers`` processes x 1 thread on 127.0.0.1
    (what ``hormonestats power --workers N`` starts), closed on exit.

    Unlike Dask's default, its workers do not get ``MALLOC_TRIM_THRESHOLD_``: setting it
    switches off glibc's adaptive mmap threshold, and the simulations' large temporary
    arrays then cost twice the CPU time in page faults (measured in the 2-worker benchmark).
    BLAS stays single-threaded per worker.
    """
    n = int(n_workers)
    if n < 1:
        raise HormoneStatsError(f"a local cluster needs at least 1 worker, got {n_workers!r}")
    import dask
    from distributed import LocalCluster

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    environ.update(_SINGLE_THREAD_ENV)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address="127.0.0.1:0")
    with cluster:
        yield cluster


def _dask_workers(client) -> int:
    info = client.scheduler_info()
    threads = sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values())
    return max(1, threads)


@contextmanager
def backend(n_jobs: int = 1, scheduler=None, *, timeout: float = 30.0) -> Iterator[Backend]:
    """The :class:`Backend` for ``n_jobs`` / ``scheduler`` (see :func:`map_tasks`).

    A client this function connects (from an address or a cluster object) is closed on exit;
    a ``Client`` passed in is left open; local worker processes stay alive for reuse (loky's
    reusable pool) and exit when idle.

    >>> with backend() as be:
    ...     be
    Backend('local', workers=1)
    """
    if scheduler is not None:
        if isinstance(scheduler, Backend):
            yield scheduler
            return
        try:
            import distributed
        except ImportError as err:  # pragma: no cover - dask is a dependency
            raise HormoneStatsError(
                "a scheduler needs dask.distributed: pip install 'dask[distributed]'"
            ) from err
        if isinstance(scheduler, distributed.Client):
            yield Backend("dask", _dask_workers(scheduler), client=scheduler)
            return
        if isinstance(scheduler, str) or hasattr(scheduler, "scheduler_address"):
            target = scheduler if isinstance(scheduler, str) else scheduler.scheduler_address
            try:
                client = distributed.Client(target, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError) as err:
                raise HormoneStatsError(
                    f"could not reach the Dask scheduler at {target!r} within {timeout:g} s "
                    f"({err}); start one with `dask scheduler` and `dask worker ADDRESS`"
                ) from err
            try:
                yield Backend("dask", _dask_workers(client), client=client)
            finally:
                client.close()
            return
        raise HormoneStatsError(
            "scheduler must be an address such as 'tcp://127.0.0.1:8786', a "
            f"distributed.Client or a cluster (e.g. LocalCluster), got {type(scheduler).__name__}"
        )
    n = _n_workers(n_jobs)
    if n == 1:
        yield Backend("local", 1)
        return
    from joblib.externals.loky import get_reusable_executor

    yield Backend("processes", n, executor=get_reusable_executor(max_workers=n,
                                                                 env=_SINGLE_THREAD_ENV))


def _n_workers(n_jobs) -> int:
    try:
        n = int(n_jobs)
    except (TypeError, ValueError) as err:
        raise HormoneStatsError(f"n_jobs must be a whole number, got {n_jobs!r}") from err
    if n == 0 or n < -1:
        raise HormoneStatsError(
            f"n_jobs must be a positive number of workers (or -1 for all), got {n_jobs!r}"
        )
    return (os.cpu_count() or 1) if n == -1 else n


# ---------------------------------------------------------------------------- checkpoints
def _default_fingerprint(func, tasks, seeds) -> str:
    base = getattr(func, "func", func)
    payload = repr(
        (
            getattr(base, "__module__", ""),
            getattr(base, "__qualname__", type(base).__name__),
            list(tasks),
            [(s.entropy, s.spawn_key) for s in seeds],
        )
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def checkpoint_files(folder) -> list[str]:
    """Files under ``folder`` (posix paths relative to it) that are checkpoints this module wrote.

    A checkpoint is a folder whose ``run.json`` names this module as its writer; its run file
    and its part files count, nothing else beside them.
    """
    root = Path(folder)
    found = []
    for run_file in root.rglob(_RUN_FILE):
        try:
            meta = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(meta, dict) or meta.get("written_by") != CHECKPOINT_MARK:
            continue
        parts = [run_file, *run_file.parent.glob(f"{_PART_PREFIX}*.pkl")]
        found += [p.relative_to(root).as_posix() for p in parts]
    return sorted(found)


class _Checkpoint:
    """Finished batches of one run in a folder (``run.json`` + ``part-*.pkl``)."""

    def __init__(self, folder, fingerprint: str, n_tasks: int, label: str, resume: bool):
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        if self.folder.exists() and not self.folder.is_dir():
            raise HormoneStatsError(f"checkpoint {str(self.folder)!r} exists and is not a folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        run_file = self.folder / _RUN_FILE
        self.done: dict[int, Any] = {}
        if run_file.is_file():
            try:
                previous = json.loads(run_file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise HormoneStatsError(
                    f"checkpoint file {str(run_file)!r} unreadable: {err}"
                ) from err
            if resume and previous.get("fingerprint") != fingerprint:
                raise HormoneStatsError(
                    f"checkpoint folder {str(self.folder)!r} holds another run "
                    f"({previous.get('label', '?')!r} with other settings); resume only the run "
                    "that wrote it, or run without --resume to start afresh"
                )
            if resume:
                for part in sorted(self.folder.glob(f"{_PART_PREFIX}*.pkl")):
                    with part.open("rb") as fh:
                        self.done.update(pickle.load(fh))
            else:
                self.clear()
        meta = {"written_by": CHECKPOINT_MARK, "fingerprint": fingerprint, "label": label,
                "n_tasks": n_tasks}
        run_file.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    def save(self, pairs: list[tuple[int, Any]]) -> None:
        first = min(i for i, _ in pairs)
        name = f"{_PART_PREFIX}{first:08d}-{secrets.token_hex(3)}.pkl"
        tmp = self.folder / f".{name}.tmp"
        with tmp.open("wb") as fh:
            pickle.dump(dict(pairs), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.folder / name)

    def clear(self) -> None:
        """Remove the part files and run file this module wrote (nothing else)."""
        for part in self.folder.glob(f"{_PART_PREFIX}*.pkl"):
            part.unlink()
        (self.folder / _RUN_FILE).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------- map
def map_tasks(
    func: Callable[[Any, np.random.SeedSequence], Any],
    tasks: Sequence[Any],
    *,
    seed=None,
    seeds: Sequence[np.random.SeedSequence] | None = None,
    n_jobs: int = 1,
    scheduler=None,
    weights: Sequence[float] | None = None,
    batch_size: int | None = None,
    task_seconds: float = TASK_SECONDS,
    progress: bool = False,
    label: str = "tasks",
    checkpoint=None,
    resume: bool = False,
    fingerprint: str | None = None,
) -> list:
    """``[func(task, seed_i) for each task]``, run in this process, local processes or Dask.

    Parameters
    ----------
    func : callable
        ``func(task, seed_sequence) -> result``; it and the tasks must pickle (module-level
        functions, :func:`functools.partial` of them, or anything cloudpickle handles).
        Results must pickle too. Build the generator inside: ``np.random.default_rng(seed)``.
    tasks : sequence
        Task specs (anything picklable), one call each.
    seed : int or SeedSequence, optional
        Root seed; task ``i`` gets ``SeedSequence(seed).spawn(len(tasks))[i]``.
    seeds : sequence of SeedSequence, optional
        Per-task seeds instead (e.g. the same seed for tasks that should share random
        numbers).
    n_jobs : int
        Local worker processes (1: this process; -1: all cores).
    scheduler : str, distributed.Client, cluster or Backend, optional
        Run on Dask: an address such as ``"tcp://127.0.0.1:8786"``, a client, a cluster
        object (``LocalCluster``) or a :class:`Backend` from :func:`backend`.
    weights : sequence of float, optional
        Relative cost of each task (for balanced batches).
    batch_size : int, optional
        Tasks per batch; default: chosen from a pilot task so each batch runs about
        ``task_seconds``.
    progress : bool
        Show a progress bar (rich) fed by finished batches.
    label : str
        Name of the run (progress bar, checkpoint).
    checkpoint : str or Path, optional
        Folder that keeps finished batches; with ``resume=True`` a run continues from it.
    fingerprint : str, optional
        Identity of the run for ``resume`` (default: a hash of ``func``'s name, the tasks
        and the seeds; give one when ``func`` carries settings).

    Returns
    -------
    list
        The results in task order, identical whatever the backend and number of workers.

    Examples
    --------
    >>> def draw(task, seed):
    ...     return float(np.random.default_rng(seed).normal(loc=task, scale=0.01))
    >>> a = map_tasks(draw, [0, 10, 20], seed=1)
    >>> b = map_tasks(draw, [0, 10, 20], seed=1, batch_size=2)
    >>> a == b, [round(v) for v in a]
    (True, [0, 10, 20])
    """
    tasks = list(tasks)
    if seeds is None:
        seeds = spawn_seeds(seed, len(tasks))
    seeds = list(seeds)
    if len(seeds) != len(tasks):
        raise HormoneStatsError(f"got {len(seeds)} seeds for {len(tasks)} tasks")
    if weights is not None and len(weights) != len(tasks):
        raise HormoneStatsError(f"got {len(weights)} weights for {len(tasks)} tasks")
    if resume and checkpoint is None:
        raise HormoneStatsError("resume needs the checkpoint folder of the interrupted run")
    store = None
    if checkpoint is not None:
        fp = fingerprint or _default_fingerprint(func, tasks, seeds)
        store = _Checkpoint(checkpoint, fp, len(tasks), label, bool(resume))
    results: dict[int, Any] = dict(store.done) if store else {}
    pending = [i for i in range(len(tasks)) if i not in results]

    bar_cm = _progress_bar(label, len(tasks), len(results)) if progress else nullcontext()
    with backend(n_jobs, scheduler) as be, bar_cm as bar:

        def finished(pairs):
            results.update(pairs)
            if store is not None:
                store.save(pairs)
            if bar is not None:
                bar[0].advance(bar[1], len(pairs))

        if pending and batch_size is None:
            pilot = pending.pop(0)
            start = time.perf_counter()
            finished(_run_batch(func, [(pilot, tasks[pilot], seeds[pilot])]))
            per_task = time.perf_counter() - start
            if weights is not None and float(weights[pilot]) > 0:
                total = per_task / float(weights[pilot]) * sum(float(weights[i]) for i in pending)
            else:
                total = per_task * len(pending)
            # a multiple of the workers, so that equal batches keep every worker busy
            rounds = math.ceil(total / (max(task_seconds, 1e-9) * be.workers))
            n_batches = be.workers * max(1, rounds)
        else:
            size = max(1, int(batch_size or 1))
            n_batches = math.ceil(len(pending) / size)
        if be.kind == "local" and progress:
            n_batches = len(pending)  # in this process a batch costs nothing: finer progress
        if pending:
            plan = plan_batches(pending, n_batches, weights)
            batches = [[(i, tasks[i], seeds[i]) for i in b] for b in plan]
            for pairs in be.run(func, batches):
                finished(pairs)
    return [results[i] for i in range(len(tasks))]


@contextmanager
def _progress_bar(label: str, total: int, completed: int):
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        yield bar, bar.add_task(label, total=total, completed=completed)
