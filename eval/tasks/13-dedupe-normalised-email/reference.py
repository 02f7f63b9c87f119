import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["email"] = out["email"].astype(str).str.strip().str.lower()
    out["signed_up"] = pd.to_datetime(out["signed_up"])
    counts = out.groupby("email").size().rename("signups")
    first = out.sort_values("signed_up", kind="mergesort").drop_duplicates("email", keep="first")
    first = first.join(counts, on="email").sort_values("email")
    first["signed_up"] = first["signed_up"].dt.strftime("%Y-%m-%d")
    return first[["email", "signed_up", "source", "signups"]].reset_index(drop=True)
