import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["region"] = out["region"].astype(str).str.strip().str.title()
    # "1,250.00" -> 1250.0; empty stays missing and is dropped by the filter
    out["amount"] = pd.to_numeric(out["amount"].astype(str).str.replace(",", "", regex=False), errors="coerce")
    out = out[(out["region"] == "North") & (out["amount"] > 1000)]
    return out[["order_id", "region", "customer", "amount"]].reset_index(drop=True)
