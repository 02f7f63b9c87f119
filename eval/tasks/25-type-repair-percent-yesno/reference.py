import pandas as pd

TRUTH = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}


def transform(df: pd.DataFrame) -> pd.DataFrame:
    text = df["discount"].astype(str).str.replace(" ", "", regex=False)
    percent = text.str.endswith("%")
    value = pd.to_numeric(text.str.rstrip("%"), errors="coerce")
    discount = value.where(~percent, value / 100)
    active = df["active"].astype(str).str.strip().str.lower().map(TRUTH).astype(bool)
    return pd.DataFrame({"code": df["code"], "discount": discount, "active": active})
