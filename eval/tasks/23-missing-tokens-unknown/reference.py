import numpy as np
import pandas as pd

TOKENS = {"", "-", "?", "n/a", "na", "none", "null", "nan"}


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in ["email", "phone", "country"]:
        text = out[col].astype(str).str.strip()
        out[col] = text.where(~text.str.lower().isin(TOKENS), np.nan)
    out = out[out["email"].notna() | out["phone"].notna()]
    out["country"] = out["country"].fillna("Unknown")
    return out.reset_index(drop=True)
