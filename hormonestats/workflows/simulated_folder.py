"""Simulated studies of any size written to a folder in chunks: ``hs.simulate_study(..., out=)``.

Up to :data:`~hormonestats.simulate.simulator.MAX_SUBJECTS` subjects a study is simulated in
memory (:func:`hormonestats.simulate.simulator.simulate_study`, unchanged). With ``out=`` (any
``n``; required above that limit) the ``between`` design is simulated in blocks of
:data:`SUBJECT_BLOCK` subjects, block ``b`` from its own random stream (``SeedSequence(seed)``
extended by ``b``), and written chunk by chunk (:data:`CHUNK_SUBJECTS` subjects at a time, a
whole number of blocks), so memory stays at one chunk whatever ``n`` is. The draws depend on
the block, not on the chunk: the written tables do not depend on the chunk size.

The folder's contract (what ``hs.scan_study`` and ``hs.read_study`` read)::

    OUT/contract.yaml            the study's contract (tables named below)
    OUT/data/samples/part-NNNNN.parquet   the wells, one file per chunk, read in name order
    OUT/data/subjects.parquet, genotypes.parquet, responses.parquet, treatments.parquet
    OUT/truth.json               the true parameter values (as ``Study.truth``)
    OUT/COMPLETE                 written last: the files this call wrote

Open it with ``hs.scan_study(OUT / "contract.yaml", OUT / "data")``. Across blocks: subject
ids run ``S...1`` to ``S...n`` (one width), plate ids carry the block (``B00001-OX01``), the
RMET answer key is that of block 0 (one key in the contract); the item parameters (RMET
easiness, IRI and PSS item weights) and, with ``issues=True``, the one pipetting error are
drawn per block, and the oxytocin arm is balanced within each block.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from ..errors import HormoneStatsError
from ..report.output_guard import COMPLETE_MARKER, check_results_folder
from ..simulate import simulator
from ..simulate.latent import resolve_effects

__all__ = ["CHUNK_SUBJECTS", "SUBJECT_BLOCK", "simulate_study", "write_simulated_study"]

#: Subjects simulated from one random stream (fixed: the tables do not depend on chunking).
SUBJECT_BLOCK = 1_000
#: Subjects held in memory at once (a whole number of blocks; about 10 kB per subject).
CHUNK_SUBJECTS = 20 * SUBJECT_BLOCK
_TABLES = ("subjects", "genotypes", "responses", "treatments")


def simulate_study(design: str, *, n: int, effects=None, seed=None, out=None, **options):
    """Simulate a whole study; with ``out=``, write it to a folder in chunks instead.

    Without ``out`` this is :func:`hormonestats.simulate.simulator.simulate_study` (parameters,
    returns and examples there; at most ``MAX_SUBJECTS`` subjects). With ``out`` (a new or
    empty folder, or one this function wrote before) the study is written there in chunks at
    any ``n`` (the ``between`` design) and the folder's description is returned, a dict with
    ``contract``, ``data_dir``, ``n_subjects``, ``files`` and ``truth``
    (:func:`write_simulated_study`).

    >>> import hormonestats as hs
    >>> sorted(hs.simulate_study("between", n=40, seed=1).tables)[:2]
    ['genotypes', 'responses']
    """
    if out is None:
        if int(n) > simulator.MAX_SUBJECTS:
            raise HormoneStatsError(
                f"n = {int(n)} is above {simulator.MAX_SUBJECTS:,} subjects, the largest study "
                "simulated in memory; give out=FOLDER to write it to a folder in chunks "
                "(open it with hs.scan_study), or use hs.power, which needs no tables")
        return simulator.simulate_study(design, n=n, effects=effects, seed=seed, **options)
    return write_simulated_study(design, n=n, out=out, effects=effects, seed=seed, **options)


def _block(design, start, stop, n, eff, seed_seq, b, options, key):
    """Tables of subjects ``start:stop`` (block ``b``), with study-wide ids."""
    rng = np.random.default_rng(np.random.SeedSequence(
        seed_seq.entropy, spawn_key=(*seed_seq.spawn_key, b)))
    opts = dict(options, **({"rmet_key": key} if key is not None else {}))
    study = simulator._SIMULATORS[design](rng, stop - start, dict(eff), opts)
    width, local_width = max(3, len(str(n))), max(3, len(str(stop - start)))
    ids = {f"S{i + 1:0{local_width}d}": f"S{start + i + 1:0{width}d}"
           for i in range(stop - start)}
    tables = {}
    for name, frame in study.tables.items():
        frame = frame.copy()
        sid = frame["subject_id"]
        frame["subject_id"] = sid.map(ids).fillna(sid)
        if "sample_id" in frame.columns:
            frame["sample_id"] = [f"{ids[s]}{t[len(s):]}" if s in ids else t
                                  for s, t in zip(sid, frame["sample_id"])]
        if "plate_id" in frame.columns:
            frame["plate_id"] = f"B{b:05d}-" + frame["plate_id"].astype(str)
        tables[name] = frame
    return study, tables


def _writer(writers, schemas, path: Path, frame):
    table = pa.Table.from_pandas(frame, preserve_index=False, schema=schemas.get(path))
    if path not in writers:
        schemas[path] = table.schema
        writers[path] = pq.ParquetWriter(path, table.schema)
    writers[path].write_table(table)


def write_simulated_study(design: str, *, n: int, out, effects=None, seed=None,
                          chunk_subjects: int = CHUNK_SUBJECTS,
                          subject_block: int = SUBJECT_BLOCK, **options) -> dict:
    """Write a simulated study of ``n`` subjects to ``out`` in chunks (module text: layout).

    Memory is one chunk of ``chunk_subjects`` subjects (a multiple of ``subject_block``);
    ``out`` passes :func:`~hormonestats.report.output_guard.check_results_folder` (a folder
    holding files hormonestats did not write is refused).
    """
    n = int(n)
    if design != "between":
        raise HormoneStatsError(
            f"design {design!r}: only 'between' is written in chunks so far; simulate it in "
            f"memory (n <= {simulator.MAX_SUBJECTS:,}, without out=)")
    if n < 4:
        raise HormoneStatsError(f"n must be at least 4 subjects, got {n}")
    if chunk_subjects < subject_block or chunk_subjects % subject_block:
        raise HormoneStatsError(f"chunk_subjects ({chunk_subjects}) must be a whole multiple "
                                f"of subject_block ({subject_block})")
    folder = check_results_folder(out)
    if folder.is_dir() and any(folder.iterdir()):
        shutil.rmtree(folder)  # the guard found only files this package wrote
    eff = resolve_effects(design, effects)
    seed_seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    data = folder / "data"
    (data / "samples").mkdir(parents=True)
    writers, schemas, files = {}, {}, []
    key = study = None
    try:
        for c, c0 in enumerate(range(0, n, chunk_subjects)):
            parts: dict[str, list] = {}
            for b0 in range(c0, min(n, c0 + chunk_subjects), subject_block):
                b1 = min(n, b0 + subject_block)
                block_study, tables = _block(design, b0, b1, n, eff, seed_seq,
                                             b0 // subject_block, options, key)
                if study is None:
                    study, key = block_study, block_study.truth["rmet_key"]
                for name, frame in tables.items():
                    parts.setdefault(name, []).append(frame)
            for name, frames in parts.items():
                frame = frames[0] if len(frames) == 1 else _concat(frames)
                path = (data / "samples" / f"part-{c:05d}.parquet" if name == "samples"
                        else data / f"{name}.parquet")
                if name == "samples":
                    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False,
                                                        schema=schemas.get("samples")), path)
                    schemas.setdefault("samples", pq.read_schema(path))
                    files.append(path)
                else:
                    _writer(writers, schemas, path, frame)
    finally:
        for w in writers.values():
            w.close()
    return _finish(folder, study, n, files, list(writers))


def _concat(frames):
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def _finish(folder: Path, study, n: int, parts, tables) -> dict:
    raw = study.contract.to_dict()
    raw["tables"] = {**{t: f"{t}.parquet" for t in _TABLES}, "samples": "samples"}
    contract = folder / "contract.yaml"
    contract.write_text(
        "# Simulated study written in chunks by hormonestats.simulate_study(out=...)\n"
        + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    truth = dict(study.truth)
    (folder / "truth.json").write_text(json.dumps(truth, indent=2, default=str),
                                       encoding="utf-8")
    written = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    (folder / COMPLETE_MARKER).write_text("files:\n" + "\n".join(written) + "\n",
                                          encoding="utf-8")
    return {"contract": str(contract), "data_dir": str(folder / "data"), "n_subjects": n,
            "files": [str(p) for p in parts], "truth": truth}
