import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["date"] = pd.to_datetime(out["date"], dayfirst=True).dt.strftime("%Y-%m-%d")
    return out
