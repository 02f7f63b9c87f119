import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["amount"] = out["amount"].str.replace("$", "", regex=False).astype(float)
    return out.groupby("account", as_index=False)["amount"].sum()
