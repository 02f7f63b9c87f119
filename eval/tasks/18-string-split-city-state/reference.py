import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    parts = df["location"].str.split(",", n=1, expand=True)
    city = parts[0].str.strip()
    state = parts[1].str.strip().str.upper() if 1 in parts.columns else pd.Series(pd.NA, index=df.index)
    city = city.where(~city.fillna("").str.islower(), city.str.title())
    return pd.DataFrame({"id": df["id"], "city": city, "state": state, "visits": df["visits"]})
