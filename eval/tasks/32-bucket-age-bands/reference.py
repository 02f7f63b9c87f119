import pandas as pd

LABELS = ["under 18", "18-34", "35-54", "55+"]


def transform(df: pd.DataFrame) -> pd.DataFrame:
    age = pd.to_numeric(df["age"].astype(str).str.extract(r"(\d+)")[0], errors="coerce")
    band = pd.cut(age, bins=[-1, 17, 34, 54, 200], labels=LABELS)
    counts = band.value_counts().reindex(LABELS, fill_value=0)
    out = pd.DataFrame({"age_band": LABELS, "customers": counts.to_numpy()})
    unknown = pd.DataFrame({"age_band": ["Unknown"], "customers": [int(age.isna().sum())]})
    return pd.concat([out, unknown], ignore_index=True)
