"""The public API: every advertised name resolves, and stays what it is after submodule imports.

A submodule named like a public function would shadow it once imported (Python binds the
submodule to the package attribute); the modules are named so that this cannot happen.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Mapping

import hormonestats as hs


def test_every_public_name_resolves():
    missing = [name for name in hs.__all__ if not hasattr(hs, name)]
    assert missing == []


def test_functions_are_not_shadowed_by_submodules():
    for info in pkgutil.walk_packages(hs.__path__, prefix="hormonestats."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
    for name in ("reliability", "power", "mixed", "mediation", "moderation", "validate",
                 "simulate_study", "test_hypotheses", "cycle_models", "auc", "sensitivity",
                 "equivalence_test"):
        assert callable(getattr(hs, name)) and not isinstance(getattr(hs, name),
                                                              type(importlib)), name
    for name in ("read_plates", "read_plate_layout", "fit_standard_curve", "fit_standard_curves",
                 "plate_concentrations", "plate_qc"):
        assert callable(getattr(hs, name)) and not isinstance(getattr(hs, name),
                                                              type(importlib)), name
    assert isinstance(hs.hypotheses, Mapping)
    assert "estradiol_oxytocin" in hs.hypotheses


def test_import_is_light():
    """``import hormonestats`` does not load matplotlib, statsmodels or pandera (docs/architecture.md, rule 9)."""
    code = ("import sys, hormonestats; "
            "print(sorted(m for m in ('matplotlib', 'statsmodels', 'pandera', 'scipy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_no_public_function_shares_its_module_name():
    """Only the modules meant as namespaces (plots, report) share their public name.

    A top-level submodule is bound to the package attribute of its name when imported; those
    inside ``models`` are bound to ``hormonestats.models`` and cannot clash.
    """
    clashes = [name for name, module in hs._API.items()
               if module == name and name not in ("plots", "report")]
    assert clashes == []
