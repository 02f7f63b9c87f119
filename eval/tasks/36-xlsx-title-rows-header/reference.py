import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    first = df[df.columns[0]].astype(str).str.strip()
    header_at = int((first == "Office").to_numpy().argmax())
    body = df.iloc[header_at + 1 :].copy()
    body.columns = [str(v).strip() for v in df.iloc[header_at]]
    body = body.dropna(how="all")
    body = body[body["Office"].astype(str).str.strip().str.lower() != "total"]
    out = pd.DataFrame(
        {
            "office": body["Office"].astype(str).str.strip().str.title(),
            "q1": pd.to_numeric(body["Q1"], errors="coerce"),
            "q2": pd.to_numeric(body["Q2"], errors="coerce"),
        }
    )
    out["change"] = out["q2"] - out["q1"]
    return out.reset_index(drop=True)
