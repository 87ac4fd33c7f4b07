"""Make the simulated questionnaire data that tests/reference/reliability.R reads.

Run once from the repository root: ``python tests/reference/reliability_make_data.py``.
Writes reliability_data.csv (wide items: IRI 28 items 0-4, PSS-10 0-4, RMET chosen options
1-4) and reliability_rmet_key.csv (a made-up answer key: not the published RMET key).
Reverse-keyed items are stored as a respondent would answer them (before reverse-keying).
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
N = 250
rng = np.random.default_rng(20240611)

IRI_SUBSCALES = {
    "pt": [3, 8, 11, 15, 21, 25, 28],
    "fs": [1, 5, 7, 12, 16, 23, 26],
    "ec": [2, 4, 9, 14, 18, 20, 22],
    "pd": [6, 10, 13, 17, 19, 24, 27],
}
IRI_REVERSE = {3, 4, 7, 12, 13, 14, 15, 18, 19}
PSS_REVERSE = {4, 5, 7, 8}

cols = {"subject_id": [f"s{i:03d}" for i in range(1, N + 1)]}
factors = rng.multivariate_normal(np.zeros(4), 0.3 + 0.7 * np.eye(4), size=N)
for k, (_sub, items) in enumerate(IRI_SUBSCALES.items()):
    for item in items:
        loading = rng.uniform(0.5, 1.1)
        latent = 2 + loading * factors[:, k] + rng.normal(0, 0.9, N)
        x = np.clip(np.rint(latent), 0, 4)
        if item in IRI_REVERSE:
            x = 4 - x
        cols[f"iri_{item}"] = x.astype(int)
stress = rng.normal(0, 1, N)
for item in range(1, 11):
    latent = 2 + rng.uniform(0.4, 1.0) * stress + rng.normal(0, 0.9, N)
    x = np.clip(np.rint(latent), 0, 4)
    if item in PSS_REVERSE:
        x = 4 - x
    cols[f"pss10_{item}"] = x.astype(int)
key = rng.integers(1, 5, size=36)
ability = rng.normal(0, 1, N)
for item in range(1, 37):
    difficulty = rng.normal(-1.2, 0.8)
    p = 1 / (1 + np.exp(-(ability * rng.uniform(0.3, 1.2) - difficulty)))
    correct = rng.uniform(size=N) < p
    wrong = (key[item - 1] + rng.integers(1, 4, size=N) - 1) % 4 + 1
    cols[f"rmet_{item}"] = np.where(correct, key[item - 1], wrong).astype(int)

pd.DataFrame(cols).to_csv(HERE / "reliability_data.csv", index=False)
pd.DataFrame({"item": range(1, 37), "correct": key}).to_csv(
    HERE / "reliability_rmet_key.csv", index=False
)
