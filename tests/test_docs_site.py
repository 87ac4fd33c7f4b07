"""The documentation site builds with warnings as errors, and its generated reference pages
follow the package (contract format, registries, CLI, API, glossary, notebooks)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import hormonestats as hs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f",
         str(ROOT / "mkdocs.yml"), "-d", str(out)],
        capture_output=True, text=True, check=False, cwd=out,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _page(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")


def test_contract_reference_follows_the_contract_module(site):
    from hormonestats.study import contract_structure, schemas

    page = _page(site, "reference/contract")
    for options in (contract_structure.TOP_LEVEL, contract_structure.ANALYTE_OPTIONS,
                    contract_structure.SNP_OPTIONS, contract_structure.INSTRUMENT_OPTIONS,
                    contract_structure.COLUMN_OPTIONS):
        for key in options:
            assert f"<code>{key}</code>" in page, key
    for table, cols in schemas.BASE_COLUMNS.items():
        assert f"<h3 id=\"{table}\">" in page
        for col in cols:
            assert f"<code>{col.name}</code>" in page, (table, col.name)
    assert "beside the contract" in page and "data folder" in page


def test_registry_catalogues_list_every_entry(site):
    analytes = _page(site, "reference/analytes")
    for name, a in hs.ANALYTES.items():
        assert f"<code>{name}</code>" in analytes and a.canonical_unit in analytes
    snps = _page(site, "reference/snps")
    assert all(f"<code>{rsid}</code>" in snps for rsid in hs.SNPS)
    instruments = _page(site, "reference/instruments")
    for name, inst in hs.INSTRUMENTS.items():
        assert f"<code>{name}</code>" in instruments
        assert ", ".join(inst.items) in instruments
        assert ", ".join(inst.reverse) in instruments
    assert "response_min" in instruments  # the definition format
    agents = _page(site, "reference/agents")
    assert all(f"<code>{name}</code>" in agents for name in hs.AGENTS)


def test_cli_reference_lists_every_command_and_the_run_roles(site):
    import typer

    from hormonestats import cli

    page = _page(site, "reference/cli")
    group = typer.main.get_command(cli.app)
    for name in group.commands:
        assert f"hormonestats {name}" in page, name
    assert "--covariate" in page and "outcome: the social-cognition outcome" in page
    assert "3 nothing could be tested" in page


def test_api_reference_documents_every_public_name(site):
    text = "".join(p.read_text(encoding="utf-8") for p in (site / "api").rglob("index.html"))
    for name, module in hs._API.items():
        if name in ("plots", "report"):
            assert f'id="hormonestats.{module}"' in text, name
        else:
            assert f'id="hormonestats.{module}.{name}"' in text, name


def test_api_pages_show_each_name_and_its_signature(site):
    """Every public function and class has a heading with its name and its call signature
    (``name(`` in the signature block), not a bare docstring."""
    import inspect

    text = "".join(p.read_text(encoding="utf-8") for p in (site / "api").rglob("index.html"))
    missing = []
    for name, module in hs._API.items():
        obj = getattr(hs, name)
        if inspect.ismodule(obj) or not callable(obj):
            continue
        anchor = f'id="hormonestats.{module}.{name}"'
        block = text[text.index(anchor):][:4000]
        kind = "class" if inspect.isclass(obj) else "function"
        if f'doc-{kind}-name">{name}</span>' not in block:
            missing.append(f"{name}: no heading")
        # an exception takes a message, a named tuple its fields and a protocol is not
        # called: no signature to show
        if inspect.isclass(obj) and (issubclass(obj, BaseException | tuple)
                                     or getattr(obj, "_is_protocol", False)):
            continue
        if f'">{name}</span><span class="p">(' not in block:
            missing.append(f"{name}: no signature")
    assert missing == [], missing


def test_notebook_pages_show_their_outputs(site):
    """The notebook pages are made from executed copies: tables and figures are on the page."""
    figures = 0
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        page = _page(site, f"notebooks/{nb.stem}")
        assert "jp-OutputArea-output" in page, nb.name
        figures += page.count("data:image/png;base64")
    assert figures >= 14  # the figures tests/test_notebooks.py expects the notebooks to show
    assert not (ROOT / "notebooks" / "figures").exists()  # nothing written beside them


def test_analytes_range_column_keeps_its_width(site):
    page = _page(site, "reference/analytes")
    assert page.count('class="range-list"') >= len(hs.ANALYTES)
    css = (site / "stylesheets" / "tables.css").read_text(encoding="utf-8")
    assert ".range-list" in css and "min-width" in css


def test_glossary_and_notebooks_are_pages(site):
    from hormonestats.report.glossary import COLUMNS

    glossary = _page(site, "reference/glossary")
    assert all(f"<code>{c}</code>" in glossary for c in COLUMNS)
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        assert (site / "notebooks" / nb.stem / "index.html").exists(), nb.name
