import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    first = df["first"].fillna("").astype(str).str.strip().str.title()
    last = df["last"].fillna("").astype(str).str.strip().str.title()
    full = (first + " " + last).str.replace(r"\s+", " ", regex=True).str.strip()
    email = df["email"].astype(str).str.replace(r"\s+", "", regex=True).str.lower()
    return pd.DataFrame({"full_name": full, "email": email, "city": df["city"]})
