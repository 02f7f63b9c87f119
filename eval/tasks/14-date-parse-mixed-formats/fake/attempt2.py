import pandas as pd

FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d %b %Y", "%B %d, %Y", "%Y%m%d"]


def transform(df: pd.DataFrame) -> pd.DataFrame:
    text = df["date"].astype(str).str.strip()
    parsed = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    for fmt in FORMATS:
        parsed = parsed.fillna(pd.to_datetime(text, format=fmt, errors="coerce"))
    out = df.copy()
    out["date"] = parsed.dt.strftime("%Y-%m-%d")
    return out
