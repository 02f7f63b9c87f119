import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["region"] = out["region"].astype(str).str.strip().str.title()
    out["rank"] = out.groupby("region")["sales"].rank(ascending=False)
    out = out.sort_values(["region", "rank", "rep"], kind="mergesort")
    return out.reset_index(drop=True)


def check(df: pd.DataFrame, out: pd.DataFrame) -> None:
    assert (out["rank"] % 1 == 0).all(), "ranks must be whole numbers (ties share a rank)"
    assert (out.groupby("region")["rank"].min() == 1).all(), "every region starts at rank 1"
