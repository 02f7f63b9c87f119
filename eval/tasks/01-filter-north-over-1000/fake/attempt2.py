import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["region"] = out["region"].astype(str).str.strip().str.title()
    # "1,250.00" -> 1250.0; empty stays missing and is dropped by the filter
    out["amount"] = pd.to_numeric(out["amount"].astype(str).str.replace(",", "", regex=False), errors="coerce")
    out = out[(out["region"] == "North") & (out["amount"] > 1000)]
    return out[["order_id", "region", "customer", "amount"]].reset_index(drop=True)


def check(df: pd.DataFrame, out: pd.DataFrame) -> None:
    assert list(out.columns) == ["order_id", "region", "customer", "amount"], "columns"
    assert (out["region"] == "North").all(), "only North"
    assert (out["amount"] > 1000).all(), "amount above 1000"
    assert len(out) <= len(df), "a filter never adds rows"
