import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["date"] = pd.to_datetime(out["date"])
    out = out.sort_values(["account", "date"], kind="mergesort").reset_index(drop=True)
    out["balance"] = out.groupby("account")["amount"].cumsum().round(2)
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    return out
