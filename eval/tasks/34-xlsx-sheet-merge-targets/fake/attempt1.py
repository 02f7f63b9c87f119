import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    totals = df.groupby("region", as_index=False)["amount"].sum()
    out = totals.merge(df[["target_region", "target"]], left_on="region", right_on="target_region")
    out["pct_of_target"] = (out["amount"] / out["target"] * 100).round(1)
    return out
