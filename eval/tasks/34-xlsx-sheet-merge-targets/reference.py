import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    region = df["region"].astype(str).str.strip().str.title()
    amount = pd.to_numeric(df["amount"].astype(str).str.replace(",", "", regex=False), errors="coerce")
    totals = pd.DataFrame({"region": region, "total": amount}).groupby("region", as_index=False)["total"].sum()
    targets = df[["target_region", "target"]].dropna(subset=["target_region"]).copy()
    targets["region"] = targets["target_region"].astype(str).str.strip().str.title()
    targets["target"] = pd.to_numeric(targets["target"], errors="coerce")
    out = targets[["region", "target"]].merge(totals, on="region", how="left")
    out["total"] = out["total"].fillna(0)
    out["pct_of_target"] = (out["total"] / out["target"] * 100).round(1)
    out = out[["region", "total", "target", "pct_of_target"]].sort_values("region")
    return out.reset_index(drop=True)
