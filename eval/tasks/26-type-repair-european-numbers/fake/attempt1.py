import pandas as pd


def german_number(s: pd.Series) -> pd.Series:
    text = s.astype(str).str.replace(r"[^0-9,.\-]", "", regex=True)
    text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["preis"] = german_number(out["preis"])
    out["menge"] = german_number(out["menge"])
    out["line_total"] = (out["preis"] * out["menge"]).round(2)
    return out
