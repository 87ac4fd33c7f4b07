"""Convert the BioPsyKit salivary cortisol example into hormonestats' long tables.

Source: BioPsyKit example data ``cortisol_sample.csv`` (MIT licence, commit 5f5d179a; Richer et
al. 2021, BioPsyKit). 26 participants x 7 saliva samples in nmol/L; sample times in minutes
relative to the stressor: -30, -1, 30, 40, 50, 60, 70. Run from the repository root:
``python scripts/convert_biopsykit_cortisol.py``; it rewrites subjects.csv and samples.csv next
to the original file in ``hormonestats/datasets/biopsykit_cortisol/``.
"""

from pathlib import Path

import pandas as pd

HERE = Path("hormonestats/datasets/biopsykit_cortisol")
TIMES = [-30, -1, 30, 40, 50, 60, 70]


def main() -> None:
    wide = pd.read_csv(HERE / "original_cortisol_sample.csv")
    subjects = wide[["subject", "condition"]].rename(
        columns={"subject": "subject_id", "condition": "group"}
    )
    subjects.to_csv(HERE / "subjects.csv", index=False)
    long = wide.melt(id_vars=["subject", "condition"], var_name="k", value_name="value")
    long["k"] = long["k"].astype(int)
    long = long.sort_values(["subject", "k"])
    samples = pd.DataFrame(
        {
            "subject_id": long["subject"],
            "session": "tsst",
            "sample_number": long["k"] + 1,
            "sample_time": [TIMES[k] for k in long["k"]],
            "analyte": "cortisol",
            "matrix": "saliva",
            "value": long["value"],
            "unit": "nmol/L",
        }
    )
    samples.to_csv(HERE / "samples.csv", index=False)


if __name__ == "__main__":
    main()
