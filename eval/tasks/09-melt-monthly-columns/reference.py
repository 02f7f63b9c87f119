import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    long = df.melt(id_vars=["store"], value_vars=["Jan", "Feb", "Mar", "Apr"], var_name="month", value_name="units")
    long = long.dropna(subset=["units"])
    long["units"] = long["units"].astype("int64")
    return long.reset_index(drop=True)
