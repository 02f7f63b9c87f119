import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].str.strip()
    return out.drop_duplicates(keep="first").reset_index(drop=True)
