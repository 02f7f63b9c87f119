import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["opened"] = pd.to_datetime(out["opened"], format="%Y/%m/%d", errors="coerce")
    keep = (out["opened"] >= "2024-01-01") & (out["opened"] < "2024-04-01")
    out = out[keep].sort_values(["opened", "ticket"], kind="mergesort")
    out["opened"] = out["opened"].dt.strftime("%Y-%m-%d")
    return out.reset_index(drop=True)
