import numpy as np
import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["team"] = out["team"].astype(str).str.strip().str.title()
    out["hours"] = out["hours"].fillna(0)
    total = out.groupby("team")["hours"].transform("sum")
    out["share_pct"] = (out["hours"] / total.replace(0, np.nan) * 100).round(1)
    return out
