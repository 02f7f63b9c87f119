import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["category"] = out["category"].astype(str).str.strip()
    out["revenue"] = out["units"] * out["price"]
    out = out.sort_values(["category", "revenue", "product"], ascending=[True, False, True], kind="mergesort")
    out = out.groupby("category", sort=False).head(2)
    return out[["category", "product", "revenue"]].reset_index(drop=True)
