import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    when = pd.to_datetime(df["Date"], errors="coerce")
    amount = pd.to_numeric(df["Amount"], errors="coerce")
    category = df["Category"].astype(str).str.strip().str.title()
    d = pd.DataFrame({"category": category, "amount": amount})
    d = d[(when >= "2024-03-01") & (when < "2024-04-01") & amount.notna()]
    out = d.groupby("category", as_index=False).agg(total=("amount", "sum"), expenses=("amount", "size"))
    out["total"] = out["total"].round(2)
    return out.sort_values("total", ascending=False, kind="mergesort").reset_index(drop=True)
