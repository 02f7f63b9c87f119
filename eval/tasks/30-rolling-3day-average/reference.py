import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["day"] = pd.to_datetime(out["day"])
    out = out.sort_values(["store", "day"], kind="mergesort").reset_index(drop=True)
    rolling = out.groupby("store")["visitors"].rolling(3, min_periods=1).mean()
    out["avg_3d"] = rolling.reset_index(level=0, drop=True).round(1)
    out["day"] = out["day"].dt.strftime("%Y-%m-%d")
    return out
