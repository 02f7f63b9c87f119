import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["region"] = out["region"].astype(str).str.strip().str.title()
    out["rank"] = out.groupby("region")["sales"].rank(method="dense", ascending=False).astype("int64")
    out = out.sort_values(["region", "rank", "rep"], kind="mergesort")
    return out.reset_index(drop=True)
