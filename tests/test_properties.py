"""Property-based tests: random damage to every bundled study's tables and contract.

Whatever the damage, the command line exits 0 or 2 (never a traceback), never writes outside
``--out`` and never changes the data folder; and whatever ``validate`` passes, ``qc`` accepts.
The commands run in-process through typer's CliRunner (fast); a few run as real processes.
Examples are few and unhurried (``deadline=None``) so that the default run stays quick.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hormonestats.cli import app
from hormonestats.datasets import dataset_path

STUDIES = ("example_study", "tsst_study", "cycle_study", "crossover_study", "couples_study",
           "biopsykit_cortisol")
TOKENS = ["", "abc", "-1", "1e309", "NA", "<LOD", "2024-13-45", "08:61", "x\u00e9", "1,5", "'",
          '"', "True", "0", "999999", "S999", "--", "nan", " "]
VALUES = [None, "x", 3, -1, 0.5, [], {}, [1, "a"], {"zz": 1}, True, "nmol/L", [0, "high"]]
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _paths(node, prefix=()):
    """Every key path of a parsed YAML document."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*prefix, k))
            out.extend(_paths(v, (*prefix, k)))
    return out


def _damage_table(path: Path, kind: str, a: int, b: int, token: str) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = ""
    lines = text.splitlines() or [""]
    rows = [line.split(",") for line in lines]
    width = len(rows[0])
    j, k = a % width, b % width
    if kind == "cell" and len(rows) > 1:
        r = 1 + a % (len(rows) - 1)
        rows[r][b % len(rows[r])] = token
    elif kind == "drop_column":
        rows = [row[:j] + row[j + 1:] for row in rows]
    elif kind == "dup_header":
        rows[0][j] = rows[0][k]
    elif kind == "rename_header":
        rows[0][j] = rows[0][j][:-1] or "x"
    elif kind == "header_only":
        rows = rows[:1]
    elif kind == "semicolon":
        path.write_text(text.replace(",", ";"), encoding="utf-8")
        return
    elif kind == "truncate":
        path.write_bytes(text.encode("utf-8")[: a % max(1, len(text))])
        return
    elif kind == "delete":
        path.unlink()
        return
    elif kind == "binary":
        path.write_bytes(bytes(range(256)) * (1 + a % 3))
        return
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")


def _damage_contract(path: Path, kind: str, a: int, value) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    paths = _paths(raw)
    where = paths[a % len(paths)]
    parent = raw
    for key in where[:-1]:
        parent = parent[key]
    if kind == "set":
        parent[where[-1]] = value
    elif kind == "delete":
        del parent[where[-1]]
    elif kind == "unknown_key":
        parent[f"{where[-1]}x"] = value
    elif kind == "syntax":
        path.write_text("name: [unclosed\n  - : :\n", encoding="utf-8")
        return
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")


damage = st.tuples(
    st.sampled_from(STUDIES),
    st.lists(st.tuples(st.sampled_from(["cell", "cell", "drop_column", "dup_header",
                                        "rename_header", "header_only", "semicolon",
                                        "truncate", "delete", "binary"]),
                       st.integers(0, 10_000), st.integers(0, 10_000),
                       st.sampled_from(TOKENS)), max_size=3),
    st.lists(st.tuples(st.sampled_from(["set", "set", "delete", "unknown_key", "syntax"]),
                       st.integers(0, 10_000), st.sampled_from(VALUES)), max_size=2),
)


def _damaged_copy(root: Path, case) -> tuple[Path, Path]:
    name, table_edits, contract_edits = case
    data = root / "data"
    shutil.copytree(dataset_path(name), data)
    csvs = sorted(p for p in data.glob("*.csv") if p.stem != "original_cortisol_sample")
    for kind, a, b, token in table_edits:
        target = csvs[a % len(csvs)]
        if target.exists():
            _damage_table(target, kind, a, b, token)
    contract = data / "contract.yaml"
    for kind, a, value in contract_edits:
        try:
            _damage_contract(contract, kind, a, value)
        except (yaml.YAMLError, AttributeError, TypeError, ZeroDivisionError):
            pass  # an earlier edit already broke the YAML: it stays broken
    return contract, data


def _invoke(args, allowed=(0, 2)):
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args, "".join(__import__("traceback").format_exception(result.exception)))
    assert result.exit_code in allowed, (args, result.output)
    assert "Traceback" not in result.output
    return result.exit_code


@SETTINGS
@given(case=damage)
def test_validate_and_qc_on_damaged_studies_exit_0_or_2_and_change_nothing(case):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        contract, data = _damaged_copy(root, case)
        before = _snapshot(root)
        code = _invoke(["validate", str(contract), str(data)])
        if code == 0 and case[0] in ("biopsykit_cortisol", "tsst_study"):
            # whatever validate passes, qc accepts
            assert _invoke(["qc", str(contract), str(data)]) == 0
        assert _snapshot(root) == before


@settings(max_examples=5, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=st.tuples(st.just("biopsykit_cortisol"), damage.map(lambda d: d[1]),
                      damage.map(lambda d: d[2])),
       out_name=st.sampled_from(["results", "data", "data/inner", "."]))
def test_run_on_damaged_studies_writes_only_into_out(case, out_name):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        contract, data = _damaged_copy(root, case)
        out = root / out_name
        before = _snapshot(root)
        _invoke(["run", "full_study", "--contract", str(contract), "--data", str(data),
                 "--out", str(out), "--n-boot", "20"], allowed=(0, 2, 3))  # 3: nothing tested
        after = _snapshot(root)
        for name, content in before.items():
            assert after.get(name) == content, name  # nothing we did not write changed
        written = set(after) - set(before)
        assert all((root / w).resolve().is_relative_to(out.resolve()) for w in written)
        assert not any(p.name.startswith(".") for p in root.iterdir())  # no partial left


def test_real_process_on_a_damaged_copy_exits_2_without_traceback(tmp_path):
    contract, data = _damaged_copy(tmp_path, ("example_study", [], []))
    _damage_table(data / "samples.csv", "dup_header", 1, 6, "")  # session -> value
    _damage_table(data / "subjects.csv", "cell", 0, 2, "abc")  # a text age
    before = _snapshot(tmp_path)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-m", "hormonestats", "validate", str(contract),
                           str(data)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "repeats column names" in proc.stderr
    assert _snapshot(tmp_path) == before
