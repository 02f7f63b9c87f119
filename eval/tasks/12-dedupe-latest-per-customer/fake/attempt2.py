import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["updated"] = pd.to_datetime(out["updated"], format="%d/%m/%Y", errors="coerce")
    out = out.sort_values(["customer_id", "updated"], na_position="first", kind="mergesort")
    out = out.drop_duplicates(subset=["customer_id"], keep="last")
    out["updated"] = out["updated"].dt.strftime("%Y-%m-%d")
    return out.reset_index(drop=True)


def check(df: pd.DataFrame, out: pd.DataFrame) -> None:
    assert out["customer_id"].is_unique, "customer_id must be unique in the result"
