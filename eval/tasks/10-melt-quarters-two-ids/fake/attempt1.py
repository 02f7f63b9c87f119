import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    long = df.melt(id_vars=["dept", "cost_centre"], value_vars=["Q1", "Q2", "Q3", "Q4"], var_name="quarter", value_name="amount")
    long["quarter"] = long["quarter"].str[1:].astype("int64")
    long["amount"] = pd.to_numeric(long["amount"].astype(str).str.replace(",", "", regex=False), errors="coerce")
    long = long.sort_values(["dept", "cost_centre", "quarter"])
    return long.reset_index(drop=True)
