import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    digits = df["phone"].astype(str).str.replace(r"\D", "", regex=True)
    digits = digits.where(~((digits.str.len() == 11) & digits.str.startswith("1")), digits.str[1:])
    phone = digits.where(digits.str.len() == 10)
    return pd.DataFrame({"name": df["name"], "phone": phone})
