import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    orders = df[["order_id", "Product Code", "qty"]].copy()
    prices = df[["code", "unit_price"]].dropna(subset=["code"])
    out = orders.merge(prices, how="left", left_on="Product Code", right_on="code")
    out["total"] = out["qty"] * out["unit_price"]
    return out
