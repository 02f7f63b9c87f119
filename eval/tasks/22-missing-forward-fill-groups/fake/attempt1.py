import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    d = df.copy()
    d["category"] = d["category"].ffill()
    out = d.groupby("category", sort=False, as_index=False).agg(items=("item", "size"), subtotal=("amount", "sum"))
    out["subtotal"] = out["subtotal"].round(2)
    return out
