"""A "larger than memory" study on disk: the example study's samples copied to any size.

``write_large_study(folder, n_rows)`` writes the bundled ``example_study``'s samples table
copied under new subject, sample and plate ids (the scheme of ``bench_process.build``: copy ``k``
adds ``_%05d`` % k to the subject and sample ids of non-control wells and to every plate id)
as a folder of parquet files, ``samples/part-00000.parquet``, ``part-00001.parquet``, ...,
together with the roster of every subject copy present (``subjects.parquet``) and a contract
naming the two tables. Memory is bounded by one file's worth of rows: the rows are built and
written one file at a time from the example study's table and a copy index, never all at once.

``read_in_memory(info)`` reads the same data fully into memory as an ``hs.Study``, for checking
an out-of-core path against the in-memory one at sizes that fit.

Import from a script in ``benchmarks/``::

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from large_study import read_in_memory, write_large_study
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

import hormonestats as hs
from hormonestats.study.conform import conform_table

__all__ = ["read_in_memory", "write_large_study"]

#: Contract entries the large study leaves out: the instruments name an answer key file
#: (rmet_key.csv) that is not in the data folder, which hs.validate reports as a problem; the
#: SNPs and agents (of the dropped genotypes and treatments tables) load and validate as they are.
_DROPPED = ("instruments",)


def _tags(first: int, last: int, copy: np.ndarray) -> pa.Array:
    """The copy tag ``_%05d`` of each row, given each row's copy index in ``first..last``."""
    unique = pa.array([f"_{k:05d}" for k in range(first, last + 1)], type=pa.large_string())
    return unique.take(pa.array(copy - first))


def _tagged(column: pa.ChunkedArray | pa.Array, tag: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(column, tag, pa.scalar("", type=pa.large_string()))


def _contract_text(subjects_file: str) -> str:
    """The example study's contract with its tables cut to subjects and samples."""
    path = resources.files("hormonestats.datasets") / "example_study" / "contract.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["tables"] = {"subjects": subjects_file, "samples": "samples"}
    for key in _DROPPED:
        raw.pop(key, None)
    columns = {t: v for t, v in (raw.get("columns") or {}).items() if t in raw["tables"]}
    if columns:
        raw["columns"] = columns
    else:
        raw.pop("columns", None)
    head = ("# The bundled example_study's contract with only its subjects and samples tables\n"
            "# (samples: a folder of parquet files) and no instruments; written by\n"
            "# benchmarks/large_study.py.\n")
    return head + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100)


def write_large_study(folder, n_rows: int, rows_per_file: int = 1_000_000) -> dict:
    """Write an ``n_rows``-well samples table (parquet parts), its subject roster and a contract.

    Returns ``{"contract": path, "data_dir": folder, "n_rows": n_rows, "n_subjects": ...,
    "files": [part paths]}``. Peak memory is about one part's rows, whatever ``n_rows``.
    """
    if n_rows < 1 or rows_per_file < 1:
        raise ValueError("n_rows and rows_per_file must be positive")
    folder = Path(folder)
    parts = folder / "samples"
    parts.mkdir(parents=True, exist_ok=True)
    base = hs.read_dataset("example_study")
    samples = pa.Table.from_pandas(base["samples"], preserve_index=False)
    subjects = pa.Table.from_pandas(base["subjects"], preserve_index=False)
    length = samples.num_rows
    control = pc.equal(samples["sample_type"], "control").to_numpy(zero_copy_only=False)
    control = control.astype(bool)

    files = []
    for i, start in enumerate(range(0, n_rows, rows_per_file)):
        rows = np.arange(start, min(start + rows_per_file, n_rows), dtype=np.int64)
        copy, pos = np.divmod(rows, length)
        part = samples.take(pa.array(pos))
        tag = _tags(int(copy[0]), int(copy[-1]), copy)
        keep = pa.array(control[pos])
        for col in ("subject_id", "sample_id"):
            j = part.schema.get_field_index(col)
            part = part.set_column(j, col, pc.if_else(keep, part[col], _tagged(part[col], tag)))
        j = part.schema.get_field_index("plate_id")
        part = part.set_column(j, "plate_id", _tagged(part["plate_id"], tag))
        path = parts / f"part-{i:05d}.parquet"
        pq.write_table(part, path)
        files.append(str(path))
        del part, tag, keep, rows, copy, pos

    # the roster: every subject of every full copy that has wells, and of the last, partial
    # copy only those whose wells fall before the cut (bench_process.build keeps the same set)
    full, rest = divmod(n_rows, length)
    not_control = ~control
    ids = samples["subject_id"].to_numpy(zero_copy_only=False)
    id_type = subjects.schema.field("subject_id").type
    in_full = pc.is_in(subjects["subject_id"],
                       value_set=pa.array(np.unique(ids[not_control]), type=id_type))
    in_rest = pc.is_in(subjects["subject_id"],
                       value_set=pa.array(np.unique(ids[:rest][not_control[:rest]]), type=id_type))
    roster_path = folder / "subjects.parquet"
    n_subjects = 0
    with pq.ParquetWriter(roster_path, subjects.schema) as writer:
        roster_full = subjects.filter(in_full)
        per_batch = max(1, rows_per_file // max(1, roster_full.num_rows))
        batches = [(k0, min(k0 + per_batch, full), roster_full)
                   for k0 in range(0, full, per_batch)]
        if rest:
            batches.append((full, full + 1, subjects.filter(in_rest)))
        for k0, k1, roster in batches:
            if roster.num_rows == 0:
                continue
            copy = np.repeat(np.arange(k0, k1), roster.num_rows)
            block = pa.concat_tables([roster] * (k1 - k0))
            j = block.schema.get_field_index("subject_id")
            block = block.set_column(j, "subject_id",
                                     _tagged(block["subject_id"], _tags(k0, k1 - 1, copy)))
            writer.write_table(block)
            n_subjects += block.num_rows

    contract = folder / "contract.yaml"
    contract.write_text(_contract_text(roster_path.name), encoding="utf-8")
    hs.load_contract(contract)  # the contract must load as written
    return {"contract": str(contract), "data_dir": str(folder), "n_rows": n_rows,
            "n_subjects": n_subjects, "files": files}


def read_in_memory(info: dict) -> hs.Study:
    """The study ``write_large_study`` wrote, read fully into memory.

    Rows are numbered as ``hs.read_study`` numbers a file's rows (from 2, parts in order), and
    each table is conformed as ``hs.read_study`` conforms a parquet table (a parquet boolean
    column with nulls reads as True/None objects; conforming makes the nulls NaN, as the csv
    reader gives them).
    """
    contract = hs.load_contract(info["contract"])
    data_dir = Path(info["data_dir"])
    samples = pd.concat([pd.read_parquet(f) for f in info["files"]], ignore_index=True)
    subjects = pd.read_parquet(data_dir / contract.tables["subjects"])
    tables = {"subjects": conform_table("subjects", subjects, contract),
              "samples": conform_table("samples", samples, contract)}
    return hs.Study(contract=contract, tables=tables)
