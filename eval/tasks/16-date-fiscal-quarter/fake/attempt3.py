import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    date = pd.to_datetime(df["date"], format="%d.%m.%Y")
    revenue = pd.to_numeric(df["revenue"].astype(str).str.replace(" ", "", regex=False), errors="coerce")
    fiscal_year = date.dt.year - (date.dt.month < 4).astype("int64")
    fiscal_quarter = ((date.dt.month - 4) % 12) // 3 + 1
    label = "FY" + fiscal_year.astype(str) + "-Q" + fiscal_quarter.astype(str)
    out = pd.DataFrame({"fiscal_quarter": label, "revenue": revenue})
    out = out.groupby("fiscal_quarter", as_index=False)["revenue"].sum()
    return out.sort_values("fiscal_quarter").reset_index(drop=True)
