"""hormonestats: validate, process and model behavioural-endocrinology study data.

>>> import hormonestats as hs
>>> hs.convert(1.0, "cortisol", "ug/dL", "nmol/L")  # doctest: +ELLIPSIS
27.5...

Public names are loaded lazily (house rule 9): ``import hormonestats`` stays light and each
family's module (and its heavy dependencies) is imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> module that defines it (relative to the package)
_API: dict[str, str] = {
    # errors and logs
    "HormoneStatsError": "errors",
    "ContractError": "errors",
    "DataError": "errors",
    "UnitError": "errors",
    "ModelError": "errors",
    "ValidationError": "errors",
    "Derived": "log",
    "combine_logs": "log",
    # registries
    "ANALYTES": "analytes",
    "get_analyte": "analytes",
    "SNPS": "snps",
    "get_snp": "snps",
    "INSTRUMENTS": "instruments",
    "get_instrument": "instruments",
    "load_instrument": "instruments",
    "AGENTS": "agents",
    "ROUTES": "agents",
    # contracts, reading, validation
    "Contract": "contracts",
    "load_contract": "contracts",
    "Study": "study",
    "read_study": "study",
    "validate": "validation",
    "ValidationReport": "validation",
    "read_dataset": "datasets",
    "list_datasets": "datasets",
    # assay processing
    "convert": "units",
    "to_canonical": "units",
    "parse_readings": "assays",
    "apply_lod": "assays",
    "lod_summary": "assays",
    "aggregate_replicates": "assays",
    "intra_assay_cv": "assays",
    "inter_assay_cv": "assays",
    "plate_effect": "assays",
    "log_transform": "assays",
    "zscore": "assays",
    "winsorize": "assays",
    "free_testosterone": "androgens",
    "bioavailable_testosterone": "androgens",
    "free_androgen_index": "androgens",
    "auc": "cortisol",
    "cortisol_features": "cortisol",
    "awakening_response": "cortisol",
    "diurnal_slope": "cortisol",
    "cycle_days": "cycle",
    "cycle_phase": "cycle",
    "menopause_stage": "cycle",
    "process_samples": "processing",
    "process_study": "processing",
    "list_analytes": "analytes",
    "allowed_units": "units",
    "unit_allowed": "units",
    "PlateEffect": "assays",
    "auc_values": "cortisol",
    "normalize_contraception": "cycle",
    "CONTRACEPTION": "cycle",
    "CYCLE_EVENTS": "cycle",
    "PHASE_WINDOWS": "cycle",
    "GROUPINGS": "genotypes",
    "genotype_problems": "genotypes",
    "get_agent": "agents",
    # genotypes and instruments
    "normalize_genotypes": "genotypes",
    "code_genotypes": "genotypes",
    "genotype_qc": "genotypes",
    "hwe_exact": "genotypes",
    "score_instrument": "instruments",
    "score_responses": "instruments",
    "reliability": "internal_consistency",
    # models
    "moderation": "models.moderation",
    "mediation": "models.mediation",
    "moderated_mediation": "models.conditional",
    "gxe": "models.gxe",
    "censored_regression": "models.censored",
    "fdr": "models.effects",
    "mixed": "models.mixed",
    "MixedModelWarning": "models.mixed",
    "crossover": "models.crossover",
    "apim": "models.dyadic",
    "cycle_models": "models.cycle",
    "therapy_over_time": "models.therapy",
    "hypotheses": "hypothesis_registry",
    "HYPOTHESES": "hypothesis_registry",
    "test_hypotheses": "hypothesis_registry",
    "sensitivity": "sensitivity_analysis",
    # simulation and power
    "simulate_study": "simulate",
    "power": "power_analysis",
    "sample_size_for": "power_analysis",
    # output
    "plots": "plots",
    "report": "report",
}

__all__ = sorted(_API) + ["__version__"]


def __getattr__(name: str) -> Any:
    module_name = _API.get(name)
    if module_name is None:
        raise AttributeError(f"module 'hormonestats' has no attribute {name!r}")
    module = importlib.import_module(f".{module_name}", __name__)
    # ``plots`` and ``report`` are modules: their public name is the module itself
    value = getattr(module, name) if hasattr(module, name) else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
