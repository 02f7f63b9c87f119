import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    orders = df[["order_id", "product_code", "qty"]].dropna(subset=["order_id"]).copy()
    orders["product_code"] = orders["product_code"].astype(str).str.strip().str.upper()
    prices = df[["code", "unit_price"]].dropna(subset=["code"]).copy()
    prices["code"] = prices["code"].astype(str).str.strip().str.upper()
    prices = prices.drop_duplicates("code")
    out = orders.merge(prices, how="left", left_on="product_code", right_on="code").drop(columns=["code"])
    out["total"] = (out["qty"] * out["unit_price"]).round(2)
    return out.reset_index(drop=True)
