"""Write the notebooks in notebooks/ from the cell sources below (no outputs are stored).

Run from the repository root: ``python scripts/make_notebooks.py``. The test suite executes
every notebook top to bottom in a fresh kernel (tests/test_notebooks.py) and checks that each
plotting cell shows its figure.
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
        ("code", "# the hypotheses of a between-subjects study; their roles take the registered\n"
                 "# default columns (hs.DEFAULT_ROLES) when no mapping is given\n"
                 "between = ['estradiol_oxytocin', 'testosterone_aromatization',\n"
                 "           'progesterone_anxiety', 'progesterone_allopregnanolone_anxiety',\n"
                 "           'cortisol_oxytocin', 'oxtr_genotype']\n"
                 "family = hs.test_hypotheses(table, hypotheses=between, seed=1, n_boot=1000)\n"
                 "family.table"),
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
    "03_repeated_and_dyadic": [
        ("md", "# 3. Repeated and dyadic designs\n\nWithin-person hormone effects across "
               "the menstrual cycle (person-mean centring, mixed models), a crossover trial of "
               "intranasal oxytocin, and couples (actor-partner interdependence)."),
        ("code", "import hormonestats as hs\n\n"
                 "cyc = hs.read_dataset('cycle_study')\nprocessed = hs.process_study(cyc)\n"
                 "table = processed.table\n"
                 "processed.log.groupby(['step', 'action']).size()"),
        ("md", "## Cycle days and phases from menses onsets and LH tests\n\n"
               "`process_study` adds forward and backward cycle days, ovulation (LH+1 or "
               "estimated, and which), phase and a continuous cycle time in [-1, 1] from the "
               "study's `cycles` table; cycles outside 21-35 days are flagged in the log."),
        ("code", "table[['subject_id', 'session', 'forward_day', 'ovulation_source', "
                 "'cycle_phase', 'cycle_time']].head()"),
        ("code", "within = hs.mixed(table, y='rmet_total', x='log_estradiol', "
                 "subject='subject_id')\nwithin"),
        ("code", "phases = hs.cycle_models(table, y='rmet_total',\n"
                 "                         hormones=('log_estradiol', 'log_progesterone'),\n"
                 "                         phase='cycle_phase')\nphases.phase_contrasts"),
        ("code", "hs.plots.cycle(table, y='log_estradiol', day='forward_day');"),
        ("md", "## Crossover: oxytocin and placebo in two periods"),
        ("code", "cross = hs.read_dataset('crossover_study')\n"
                 "ct = hs.process_study(cross).table\n"
                 "trial = hs.crossover(ct, y='rmet_total', drug='oxytocin_arm', "
                 "period='session',\n"
                 "                     subject='subject_id', sequence='sequence', dose=24)\n"
                 "trial"),
        ("md", "## Couples: actor and partner effects"),
        ("code", "couples = hs.process_study(hs.read_dataset('couples_study')).table\n"
                 "hs.apim(couples, y='iri_ec', x='log_oxytocin', dyad='dyad_id', "
                 "role='role')"),
    ],
    "04_power": [
        ("md", "# 4. Power by simulation\n\nHow many participants does the estradiol x "
               "oxytocin interaction need? Interactions need far larger samples than main "
               "effects (Gelman 2018); oxytocin studies are often underpowered (Walum, "
               "Waldman & Young 2016)."),
        ("code", "import hormonestats as hs\n\n"
                 "curve = hs.power('estradiol_oxytocin', n=[100, 400, 1600], n_sims=200, "
                 "seed=1, progress=False)\ncurve"),
        ("code", "hs.plots.power_curve(curve);"),
        ("code", "hs.power('progesterone_anxiety', n=[50, 100, 200], n_sims=200, seed=2, "
                 "progress=False)"),
        ("md", "## A check against a closed form: a two-group mean difference"),
        ("code", "from statsmodels.stats.power import TTestIndPower\n\n"
                 "sim = hs.power({'family': 'two_group', 'effects': {'d': 0.5}}, n=[64, 128], n_sims=400,\n"
                 "               seed=3, progress=False)\n"
                 "exact = [TTestIndPower().power(0.5, nobs1=n / 2, alpha=0.05) "
                 "for n in (64, 128)]\n"
                 "sim.assign(analytic=exact)[['n', 'power', 'mc_se', 'analytic']]"),
    ],
    "05_paper_figures": [
        ("md", "# 5. The example study's figures\n\nEvery figure of the bundled example study, from the public API, as `hormonestats demo` writes them. The last cell writes them to `figures/` as PNG files: the same code and seed give the same images (the test suite compares them with reference images)."),
        ("code", "import hormonestats as hs\n\nstudy = hs.read_dataset('example_study')\nprocessed = hs.process_study(study)\ntable = processed.table\nbetween = ['estradiol_oxytocin', 'testosterone_aromatization', 'progesterone_anxiety',\n           'progesterone_allopregnanolone_anxiety', 'cortisol_oxytocin', 'oxtr_genotype']\nfamily = hs.test_hypotheses(table, hypotheses=between, seed=1, n_boot=1000)\nfigures = {}  # name -> Axes, written to files at the end\nfigures['forest'] = hs.plots.forest(family.table)"),
        ("code", "fit = family.results['estradiol_oxytocin']\nfigures['interaction'] = hs.plots.interaction(fit)  # the 0/1 arm is drawn as two categories"),
        ("code", "figures['johnson_neyman'] = hs.plots.johnson_neyman(fit)"),
        ("code", "gxe = hs.gxe(table, y='rmet_total', x='oxytocin_arm', m='rs53576_GG_vs_Acarrier',\n           coding='group')\nfigures['simple_slopes'] = hs.plots.simple_slopes(gxe)"),
        ("code", "figures['mediation_paths'] = hs.plots.mediation_paths(family.results['testosterone_aromatization'])"),
        ("code", "tsst = hs.process_samples(hs.read_dataset('tsst_study'))\narms = hs.read_dataset('tsst_study')['subjects'][['subject_id', 'arm']]\ncurves = tsst.samples.merge(arms, on='subject_id')\nfigures['cortisol_curves'] = hs.plots.cortisol_curves(curves, group='arm')"),
        ("code", "figures['qc_lod'] = hs.plots.qc_lod(processed.samples.lod_summary)"),
        ("code", "figures['qc_cv'] = hs.plots.qc_cv(processed.samples.intra_cv)"),
        ("md", "## The figures as files\n\nPNG at 100 dpi for the comparison with the reference images; use `formats=('png', 'svg', 'pdf')` and `dpi=300` for a journal."),
        ("code", "from pathlib import Path\n\nout = Path('figures')\nwritten = [hs.plots.save(ax, out / name, formats=('png',), dpi=100)[0] for name, ax in figures.items()]\n[p.name for p in written]"),
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
