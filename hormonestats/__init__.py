"""hormonestats: validate, process and model behavioural-endocrinology study data.

>>> import hormonestats as hs
>>> hs.convert(1.0, "cortisol", "ug/dL", "nmol/L")  # doctest: +ELLIPSIS
27.5...

Public names are loaded lazily (docs/architecture.md, rule 9): ``import hormonestats`` stays light and each
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
    "ANALYTES": "registry.analytes",
    "get_analyte": "registry.analytes",
    "SNPS": "registry.snps",
    "get_snp": "registry.snps",
    "INSTRUMENTS": "registry.instruments",
    "get_instrument": "registry.instruments",
    "load_instrument": "registry.instruments",
    "AGENTS": "registry.agents",
    "ROUTES": "registry.agents",
    # contracts, reading, validation
    "Contract": "study.contracts",
    "load_contract": "study.contracts",
    "draft_contract": "study.drafting",
    "Study": "study.reading",
    "read_study": "study.reading",
    "scan_study": "study.scanning",
    "ScannedStudy": "study.scanning",
    "validate": "study.validation",
    "ValidationReport": "study.validation",
    "read_dataset": "datasets",
    "list_datasets": "datasets",
    # assay processing
    "convert": "registry.units",
    "to_canonical": "registry.units",
    "parse_readings": "study.readings",
    "apply_lod": "derive.lod",
    "lod_summary": "derive.lod",
    "aggregate_replicates": "derive.precision",
    "intra_assay_cv": "derive.precision",
    "inter_assay_cv": "derive.precision",
    "plate_effect": "derive.precision",
    "log_transform": "derive.transforms",
    "zscore": "derive.transforms",
    "winsorize": "derive.transforms",
    "free_testosterone": "derive.androgens",
    "bioavailable_testosterone": "derive.androgens",
    "free_androgen_index": "derive.androgens",
    "auc": "derive.cortisol",
    "cortisol_features": "derive.cortisol",
    "awakening_response": "derive.diurnal",
    "diurnal_slope": "derive.diurnal",
    "cycle_days": "derive.cycle",
    "cycle_phase": "derive.cycle",
    "menopause_stage": "derive.menopause",
    "process_samples": "derive.hormone_table",
    "process_study": "derive.processing",
    "list_analytes": "registry.analytes",
    "allowed_units": "registry.units",
    "unit_allowed": "registry.units",
    "PlateEffect": "derive.precision",
    "auc_values": "derive.cortisol",
    "normalize_contraception": "registry.contraception",
    "CONTRACEPTION": "registry.contraception",
    "CYCLE_EVENTS": "derive.cycle",
    "PHASE_WINDOWS": "derive.cycle",
    "GROUPINGS": "derive.genotypes",
    "genotype_problems": "study.genotype_calls",
    "get_agent": "registry.agents",
    # genotypes and instruments
    "normalize_genotypes": "derive.genotypes",
    "code_genotypes": "derive.genotypes",
    "genotype_qc": "derive.genotypes",
    "hwe_exact": "derive.genotypes",
    "score_instrument": "derive.scoring",
    "score_responses": "derive.scoring",
    "item_accuracy_table": "derive.items",
    "study_item_table": "derive.items",
    "reliability": "derive.reliability",
    # reliability of repeated sampling (ICCs, Spearman-Brown, generalizability theory)
    "sampling_reliability": "models.sampling_reliability",
    "shrout_fleiss_icc": "models.sampling_reliability",
    "mixed_icc": "models.sampling_reliability",
    "spearman_brown": "models.sampling_reliability",
    "samples_for_reliability": "models.sampling_reliability",
    "multilevel_reliability": "models.generalizability",
    # plate reader: standard curves, back-calculation, plate QC
    "read_plates": "study.plates",
    "read_plate_layout": "study.plates",
    "PlateError": "study.plates",
    "fit_standard_curve": "derive.standard_curves",
    "fit_standard_curves": "derive.standard_curves",
    "StandardCurve": "derive.standard_curves",
    "plate_concentrations": "derive.back_calculation",
    "plate_qc": "derive.plate_quality",
    # result protocol and options
    "ModelResult": "results",
    "ProcessingOptions": "options",
    "ExecutionOptions": "options",
    # models
    "moderation": "models.moderation",
    "mediation": "models.mediation",
    "moderated_mediation": "models.conditional",
    "gxe": "models.gxe",
    "censored_regression": "models.censored",
    "censored_mixed": "models.censored_mixed",
    "fdr": "models.effects",
    "mixed": "models.mixed",
    "MixedModelWarning": "models.mixed",
    "mixed_lrt": "models.mixed",
    "ar1": "models.lmm.serial",
    "car1": "models.lmm.serial",
    "crossover": "models.crossover",
    "apim": "models.dyadic",
    "item_accuracy": "models.item_accuracy",
    "cycle_models": "models.cycle",
    "therapy_over_time": "models.therapy",
    "hypotheses": "models.hypotheses",
    "HYPOTHESES": "models.hypotheses",
    "test_hypotheses": "models.hypotheses",
    "DEFAULT_ROLES": "models.hypotheses",
    "default_mapping": "models.hypotheses",
    "sensitivity": "workflows.sensitivity",
    "multiverse": "workflows.multiverse",
    "DECISIONS": "workflows.multiverse",
    "equivalence_test": "models.equivalence",
    # missing data: summary, multiple imputation, pooling
    "missingness": "derive.missingness",
    "impute": "workflows.imputation",
    "test_hypotheses_imputed": "workflows.imputation",
    "pool": "models.pooling",
    "PooledResult": "models.pooling",
    # simulation and power
    "simulate_study": "workflows.simulated_folder",
    "simulate_trust_trials": "simulate.trials",
    "simulate_rmet_items": "simulate.trials",
    "power": "simulate.power",
    "sample_size_for": "simulate.power",
    "pilot_parameters": "simulate.pilot",
    "PilotParameters": "simulate.pilot",
    # pre-registration
    "preregister": "workflows.prereg",
    "load_plan": "workflows.prereg",
    # output
    "plots": "report.plots",
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
