import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    ts = pd.to_datetime(df["ts"])
    week = (ts.dt.normalize() - pd.to_timedelta(ts.dt.weekday, unit="D")).dt.strftime("%Y-%m-%d")
    d = pd.DataFrame({"week": week, "user": df["user"]})
    out = d.groupby("week").agg(events=("user", "size"), users=("user", "nunique")).reset_index()
    return out.sort_values("week").reset_index(drop=True)
