"""Studies larger than memory: the samples table read lazily from parquet, in subject partitions.

``scan_study(contract, data_dir)`` reads every table of the contract into memory except the
samples table, which stays on disk as a parquet dataset (one ``.parquet`` file, or a folder of
them read in name order). On first use the samples are streamed once, in record batches, into
*subject partitions*: every row of a subject lands in the same partition (a hash of its
``subject_id``), and plate controls in a partition of their own, so that the checks and steps
that look at a subject's rows together (duplicate keys, sample-time order, replicate means,
a cortisol series) see them whole. ``hs.validate`` and ``hs.process_study`` then work one
partition at a time, so memory is bounded by the partition size, not the study size, and the
partitions can run in local processes or on a Dask cluster (``n_jobs``, ``scheduler``).

Same results as the in-memory path: each partition is read back exactly as ``read_study``
would have read those rows. The conversions that :func:`~hormonestats.study.conform.conform_table`
and :func:`~hormonestats.study.conform.clock_times_to_minutes` decide from a whole column
(yes/no columns, whole numbers, dates, clock times and their day's origin) are decided once on
the column's distinct values across the dataset and then applied to every partition; a column
with missing values anywhere gets the dtype it has in the whole table in every partition. Row
numbers are the dataset's: the first file's first data row is row 2 and the count goes on
across the files in name order (messages also name the file and its own row).

The partition files live in a working folder this module creates (in ``workdir`` or the
system's temporary folder) and removes on :meth:`ScannedStudy.close`, at the end of a ``with``
block or when the object is collected; nothing else is ever deleted.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import weakref
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from .conform import TIME_COLUMNS, clock_times_to_minutes, column_kinds, conform_table
from .contracts import Contract, load_contract
from .findings import FIRST_DATA_ROW
from .partition_files import ROW_COLUMN, read_partition, subject_buckets, whole_dtype
from .reading import _file_rows, parquet_files, read_tables

__all__ = ["PARTITION_ROWS", "ScannedStudy", "scan_study"]

#: Default rows per subject partition: about 60-100 MB of working memory each.
PARTITION_ROWS = 250_000
#: Rows per record batch while partitioning.
_BATCH_ROWS = 500_000


class ScannedStudy:
    """A study whose samples table stays on disk (see :func:`scan_study`).

    Attributes
    ----------
    contract : Contract
    tables : dict
        The other tables, in memory, read as :func:`hormonestats.read_study` reads them.
    files : list of Path
        The samples dataset's files, in the order their rows are numbered.
    n_rows : int
        Rows of the samples table.
    n_jobs, scheduler :
        Where partitions run (see :func:`hormonestats.parallel.map_tasks`).
    """

    def __init__(self, contract: Contract, tables: dict, sources: dict, files: list[Path],
                 *, partition_rows: int, n_jobs: int, scheduler, workdir):
        self.contract = contract
        self.tables = tables
        self.sources = sources
        self.files = files
        self.partition_rows = int(partition_rows)
        self.n_jobs = n_jobs
        self.scheduler = scheduler
        self._workdir_parent = workdir
        self._work: Path | None = None
        self._finalizer = None
        self._partitions: list[dict] | None = None
        self.schema, sizes, self.file_problems = _dataset_schema(files)
        self.n_rows = int(sum(sizes))
        #: the dataset row of each file's first data row
        self.starts = FIRST_DATA_ROW + np.concatenate([[0], np.cumsum(sizes)[:-1]]) \
            .astype(np.int64)

    def __getitem__(self, table: str) -> pd.DataFrame:
        if table == "samples":
            raise KeyError("samples: the table of a scanned study stays on disk; use "
                           "partitions() and read_partition(i), or hs.read_study for a study "
                           "that fits in memory")
        return self.tables[table]

    @property
    def data_folder(self) -> Path | None:
        src = self.sources.get("subjects") or next(iter(self.sources.values()), None)
        return Path(src).parent if src else None

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}: {len(v)} rows" for k, v in self.tables.items())
        return (f"ScannedStudy({self.contract.name!r}; samples: {self.n_rows:,} rows in "
                f"{len(self.files)} parquet file(s), on disk; {sizes})")

    def __enter__(self) -> ScannedStudy:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Remove the partition files (the working folder this object created)."""
        if self._finalizer is not None:
            self._finalizer()
        self._partitions = None
        self._work = self._finalizer = None

    def validate_partitions(self):
        """:func:`hormonestats.validate` of this study (what ``hs.validate(study)`` runs)."""
        from .scanned_validation import validate_scanned

        return validate_scanned(self)

    # ------------------------------------------------------------------------- partitions
    def partitions(self) -> list[dict]:
        """The subject partitions, made on first call: a list of ``{"path", "rows",
        "controls"}`` (``controls``: the partition of plate-control rows)."""
        if self._partitions is None:
            self._partitions = self._partition()
        return self._partitions

    def read_partition(self, i: int) -> pd.DataFrame:
        """Partition ``i`` as ``read_study`` would have read its rows: indexed by the row of
        the dataset, columns conformed (see the module notes)."""
        return read_partition(self.partitions()[i], self.contract)

    def working_folder(self) -> Path:
        """The folder of this object's working files (made on first call; removed by
        :meth:`close`)."""
        if self._work is None:
            parent = self._workdir_parent
            if parent is not None:
                Path(parent).mkdir(parents=True, exist_ok=True)
            self._work = Path(tempfile.mkdtemp(prefix="hormonestats-scan-", dir=parent))
            self._finalizer = weakref.finalize(self, shutil.rmtree, str(self._work), True)
        return self._work

    def _partition(self) -> list[dict]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        work = self.working_folder()
        k = max(1, math.ceil(self.n_rows / max(1, self.partition_rows)))
        kinds = column_kinds("samples", self.contract)
        decided = [c for c in self.schema.names
                   if kinds.get(c) in ("bool", "int", "date") or c in TIME_COLUMNS["samples"]]
        uniques: dict[str, list] = {c: [] for c in decided}
        has_null = dict.fromkeys(self.schema.names, False)
        writers: dict[int, pq.ParquetWriter] = {}
        counts = np.zeros(k + 1, dtype=np.int64)
        row = FIRST_DATA_ROW
        out_schema = self.schema.append(pa.field(ROW_COLUMN, pa.int64()))
        try:
            for path in self.files:
                for batch in pq.ParquetFile(path).iter_batches(batch_size=_BATCH_ROWS):
                    table = _to_schema(pa.Table.from_batches([batch]), self.schema)
                    n = table.num_rows
                    for c in self.schema.names:
                        has_null[c] = has_null[c] or table.column(c).null_count > 0
                    for c in decided:
                        uniques[c].append(table.column(c).unique())
                        if len(uniques[c]) > 8:  # keep the distinct values, not every batch's
                            uniques[c] = [pa.chunked_array(uniques[c]).unique()]
                    table = table.append_column(ROW_COLUMN, pa.array(np.arange(row, row + n)))
                    row += n
                    bucket = _buckets(table, k)
                    order = np.argsort(bucket, kind="stable")
                    sizes = np.bincount(bucket, minlength=k + 1)
                    table = table.take(pa.array(order))
                    at = 0
                    for b in np.flatnonzero(sizes):
                        if b not in writers:
                            writers[b] = pq.ParquetWriter(  # working files: fast to write
                                work / f"part-{b:05d}.parquet", out_schema,
                                compression="lz4", write_statistics=False)
                        writers[b].write_table(table.slice(at, int(sizes[b])))
                        at += int(sizes[b])
                    counts += sizes
        finally:
            for w in writers.values():
                w.close()
        conversions = {c: _conversion(c, uniques[c], has_null[c], self.contract)
                       for c in decided}
        nulls = [c for c, v in has_null.items() if v]
        self.n_buckets = k
        return [{"path": str(work / f"part-{b:05d}.parquet"), "rows": int(counts[b]),
                 "bucket": int(b), "controls": bool(b == k), "conversions": conversions,
                 "nulls": nulls} for b in sorted(writers)]


def scan_study(contract, data_dir, *, partition_rows: int = PARTITION_ROWS, n_jobs: int = 1,
               scheduler=None, workdir=None) -> ScannedStudy:
    """A study whose samples table is read lazily from parquet, for studies larger than memory.

    Parameters
    ----------
    contract : Contract, str or Path
    data_dir : str or Path
        The data folder; the samples table is ``samples.parquet`` (a file) or ``samples/`` (a
        folder of parquet files, read in name order), or the file the contract names.
    partition_rows : int
        About this many rows per subject partition (memory per partition grows with it).
    n_jobs, scheduler :
        Run the partitions in local processes or on a Dask cluster (an address, a Client or a
        cluster object), as :func:`hormonestats.parallel.map_tasks` does.
    workdir : str or Path, optional
        Where the working folder of partition files is made (default: the system's temporary
        folder); it is removed by :meth:`ScannedStudy.close`.

    Returns
    -------
    ScannedStudy
        For :func:`hormonestats.validate` and :func:`hormonestats.process_study`, which give the
        same results as for the study read into memory.
    """
    if not isinstance(contract, Contract):
        contract = load_contract(contract)
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"data folder not found: {data_dir}")
    if "samples" not in contract.tables:
        raise DataError("scan_study: the contract lists no samples table; read the study "
                        "with hs.read_study")
    tables, sources = read_tables(contract, data_dir, lazy=("samples",))
    path = Path(tables.pop("samples"))
    if path.is_dir():
        files = parquet_files(path, "samples")
    elif path.suffix.lower() == ".parquet":
        files = [path]
    else:
        raise DataError(f"samples ({path.name}): scan_study reads the samples table from "
                        "parquet (a .parquet file or a folder of them); convert it, e.g. "
                        "pandas.read_csv(...).to_parquet('samples.parquet'), or use "
                        "hs.read_study for a study that fits in memory")
    tables = {t: _file_rows(clock_times_to_minutes(t, f)) for t, f in tables.items()}
    return ScannedStudy(contract, tables, sources, files, partition_rows=partition_rows,
                        n_jobs=n_jobs, scheduler=scheduler, workdir=workdir)


# --------------------------------------------------------------------------------- helpers
def _dataset_schema(files: list[Path]):
    """One schema for all files: a column's type where they agree, numbers as float64 where
    integer and float files mix, text otherwise; columns missing from a file are read as
    empty there. Returns the schema, the rows of each file and the problems found."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields: dict[str, list] = {}
    problems: list[str] = []
    sizes = []
    schemas = []
    for f in files:
        try:
            meta = pq.ParquetFile(f)
        except (OSError, pa.ArrowInvalid) as err:
            raise DataError(f"samples ({f.name}): cannot be read: {err}") from None
        sizes.append(meta.metadata.num_rows)
        schema = meta.schema_arrow
        names = [str(n).strip() for n in schema.names if not str(n).startswith("__index_level")]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise DataError(f"samples ({f.name}): the header repeats column names "
                            f"({', '.join(map(repr, repeated))}); every column needs its own name")
        schemas.append((f, schema))
        for fld in schema:
            if not fld.name.startswith("__index_level"):
                fields.setdefault(fld.name.strip(), []).append(fld.type)
    out = []
    for name, types in fields.items():
        kinds = {t for t in types if not pa.types.is_null(t)} or {pa.null()}  # all-empty file
        if len(kinds) == 1:
            typ = next(iter(kinds))
        elif all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in kinds):
            typ = pa.float64()
        else:
            typ = pa.large_string()
            problems.append(f"samples: column '{name}' is stored as "
                            f"{' / '.join(sorted(map(str, kinds)))} in different files; read "
                            "as text")
        if pa.types.is_dictionary(typ):
            typ = typ.value_type
        out.append(pa.field(name, typ))
    for f, schema in schemas:
        present = {str(n).strip() for n in schema.names}
        for name in fields:
            if name not in present:
                problems.append(f"samples ({f.name}): column '{name}' is missing from this file "
                                "(other files have it); its rows are read as empty")
    return pa.schema(out), sizes, problems


def _to_schema(table, schema):
    """A record batch of one file in the dataset's schema (names stripped, columns in order,
    missing columns empty, types cast)."""
    import pyarrow as pa

    names = [str(n).strip() for n in table.column_names]
    table = table.rename_columns(names)
    cols = []
    for fld in schema:
        if fld.name in names:
            col = table.column(fld.name)
            if pa.types.is_dictionary(col.type):
                col = col.dictionary_decode()
            if col.type != fld.type:
                col = col.cast(fld.type) if not pa.types.is_large_string(fld.type) else \
                    _as_text(col)
            cols.append(col)
        else:
            cols.append(pa.nulls(table.num_rows, type=fld.type))
    return pa.Table.from_arrays(cols, schema=schema)


def _as_text(col):
    import pyarrow as pa

    values = col.to_pandas().astype(object)
    text = [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            for v in values]
    return pa.chunked_array([pa.array(text, type=pa.large_string())])


def _buckets(table, k: int) -> np.ndarray:
    """Partition of each row: its subject's (:func:`subject_buckets`); plate controls in ``k``."""
    import pyarrow.compute as pc

    n = table.num_rows
    bucket = np.zeros(n, dtype=np.int64)
    if "subject_id" in table.column_names and k > 1:
        codes = pc.dictionary_encode(table.column("subject_id")).combine_chunks()
        per_unique = subject_buckets(codes.dictionary.to_pandas(), k)
        idx = codes.indices.to_numpy(zero_copy_only=False)
        known = ~np.isnan(idx) if idx.dtype.kind == "f" else np.ones(n, dtype=bool)
        bucket[known] = per_unique[idx[known].astype(np.int64)]
    if "sample_type" in table.column_names:
        kind = pc.utf8_lower(pc.utf8_trim_whitespace(table.column("sample_type").cast("string")))
        control = pc.fill_null(pc.equal(kind, "control"), False).to_numpy(zero_copy_only=False)
        bucket[control] = k
    return bucket


def _conversion(column: str, parts: list, has_null: bool, contract) -> tuple:
    """The whole column's conform and clock-time conversion, decided on its distinct values:
    ``(distinct values, converted values, has_null)``; when the column has missing values the
    last converted value is a missing value's."""
    import pyarrow as pa

    values = pa.chunked_array(parts).unique() if parts else pa.array([])
    values = values.filter(values.is_valid())
    frame = pa.table({column: values}).to_pandas()
    frame[column] = whole_dtype(frame[column], has_null)
    if has_null:
        frame = pd.concat([frame, pd.DataFrame({column: [None]}).astype(frame.dtypes)],
                          ignore_index=True)
    converted = clock_times_to_minutes("samples", conform_table("samples", frame, contract))
    return frame[column].iloc[:len(frame) - int(has_null)], converted[column], has_null
