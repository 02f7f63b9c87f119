import numpy as np
import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["total"] = out["qty"] * out["unit_price"]
    price = out["unit_price"].where(out["unit_price"] != 0)
    out["margin_pct"] = ((price - out["unit_cost"]) / price * 100).round(2)
    out["margin_pct"] = out["margin_pct"].replace([np.inf, -np.inf], np.nan)
    return out
