import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    d = pd.DataFrame(
        {
            "month": pd.to_datetime(df["order_date"]).dt.strftime("%Y-%m"),
            "product": df["product"].astype(str).str.strip().str.title(),
            "revenue": df["revenue"],
        }
    )
    table = d.pivot_table(index="month", columns="product", values="revenue", aggfunc="sum", fill_value=0)
    table.columns.name = None
    return table.reset_index().sort_values("month").reset_index(drop=True)
