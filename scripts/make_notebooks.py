"""Write the notebooks in notebooks/ from the cell sources below (no outputs are stored).

Run from the repository root: ``python scripts/make_notebooks.py``. The test suite executes
every notebook top to bottom in a fresh kernel (nbmake), so the notebooks stay runnable.
"""

from pathlib import Path

import nbformat as nbf

NOTEBOOKS = {
    "01_validate_and_process": [
        ("md", "# 1. Validate and process a study\n\nThe bundled example study: read it, "
               "validate it against its contract, and turn the raw assay readings, genotypes "
               "and questionnaire items into an analysis table. Every exclusion or change is "
               "logged."),
        ("code", "import hormonestats as hs\n\nhs.list_datasets()[['name', 'design', 'source']]"),
        ("code", "study = hs.read_dataset('example_study')\nstudy"),
        ("code", "report = hs.validate(study)\nreport  # every failure at once; warnings too"),
        ("md", "## Assays: limits of detection, replicates, units"),
        ("code", "samples = study['samples']\n"
                 "lodded, lod_log = hs.apply_lod(samples, policy='lod/sqrt2')\n"
                 "hs.lod_summary(lodded)"),
        ("code", "hs.intra_assay_cv(lodded.assign(value=lodded['value_lod'])).head()"),
        ("code", "hs.convert(1.0, 'cortisol', 'ug/dL', 'nmol/L'), "
                 "hs.free_testosterone(10.0, 40.0)"),
        ("md", "## One chain: `process_study`"),
        ("code", "processed = hs.process_study(study)\n"
                 "processed.samples.accounting()  # input wells = used + excluded"),
        ("code", "processed.table.head()"),
        ("code", "processed.log.groupby(['step', 'action']).size()"),
        ("md", "## Genotypes and instruments"),
        ("code", "processed.genotype_qc"),
        ("code", "hs.reliability(study['responses'], instrument='iri').table"),
        ("md", "## Cortisol time courses (BioPsyKit example, Pruessner et al. 2003 AUCs)"),
        ("code", "cort = hs.read_dataset('biopsykit_cortisol')\n"
                 "features, log = hs.cortisol_features(cort['samples'])\nfeatures.head()"),
    ],
    "02_test_hypotheses": [
        ("md", "# 2. Test the hypotheses\n\nThe seeds' claims as models, on the analysis "
               "table of the example study, with FDR control across the family."),
        ("code", "import hormonestats as hs\n\n"
                 "table = hs.process_study(hs.read_dataset('example_study')).table\n"
                 "list(hs.hypotheses)"),
        ("code", "from hormonestats.pipeline import DEFAULT_MAPPING\n\n"
                 "family = hs.test_hypotheses(table, mapping=DEFAULT_MAPPING, seed=1, "
                 "n_boot=1000)\nfamily.table"),
        ("md", "## Estradiol x oxytocin in detail"),
        ("code", "fit = hs.moderation(table, y='rmet_total', x='oxytocin_arm', "
                 "m='log_estradiol')\nfit"),
        ("code", "fit.simple_slopes()"),
        ("code", "jn = fit.johnson_neyman()\nprint(jn.summary())"),
        ("code", "hs.plots.interaction(fit);"),
        ("code", "hs.plots.johnson_neyman(fit);"),
        ("md", "## Testosterone -> estradiol -> outcome (mediation)"),
        ("code", "med = hs.mediation(table, x='log_testosterone', mediator='log_estradiol', "
                 "y='rmet_total', n_boot=2000, seed=1)\nmed.table"),
        ("code", "hs.plots.mediation_paths(med);"),
        ("code", "hs.plots.forest(family.table);"),
    ],
}


def main() -> None:
    out = Path("notebooks")
    out.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nb = nbf.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src)
                    for kind, src in cells]
        nbf.write(nb, out / f"{name}.ipynb")


if __name__ == "__main__":
    main()
