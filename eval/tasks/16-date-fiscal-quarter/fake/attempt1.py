import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    date = pd.to_datetime(df["date"], format="%d.%m.%Y")
    revenue = pd.to_numeric(df["revenue"].astype(str).str.replace(" ", ""), errors="coerce"
    out = pd.DataFrame({"date": date, "revenue": revenue})
    return out
