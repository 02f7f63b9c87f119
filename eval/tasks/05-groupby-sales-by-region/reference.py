import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    region = df["region"].astype(str).str.strip().str.title()
    sales = pd.to_numeric(df["sales"].astype(str).str.replace(",", "", regex=False), errors="coerce")
    out = (
        pd.DataFrame({"region": region, "total_sales": sales})
        .groupby("region", as_index=False)["total_sales"]
        .sum()
        .sort_values("total_sales", ascending=False, kind="mergesort")
    )
    return out.reset_index(drop=True)
