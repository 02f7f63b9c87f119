import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    text = df["discount"].astype(str).str.replace(" ", "", regex=False)
    discount = text.map(lambda s: eval(s.replace("%", "/100")) if s != "nan" else None)
    active = df["active"].astype(str).str.lower().isin(["yes", "y", "true"])
    return pd.DataFrame({"code": df["code"], "discount": discount, "active": active})
