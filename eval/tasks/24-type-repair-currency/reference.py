import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    text = df["amount"].astype(str).str.strip()
    negative = text.str.startswith("(") & text.str.endswith(")")
    cleaned = text.str.replace(r"[$,()]|USD", "", regex=True).str.strip()
    value = pd.to_numeric(cleaned, errors="coerce")
    value = value.where(~negative, -value)
    out = pd.DataFrame({"account": df["account"], "amount": value})
    return out.groupby("account", as_index=False)["amount"].sum().round(2)
