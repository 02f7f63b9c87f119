import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    dept = df["department"].astype(str).str.strip()
    salary = pd.to_numeric(df["salary"].astype(str).str.replace(r"[$,]", "", regex=True), errors="coerce")
    g = pd.DataFrame({"department": dept, "salary": salary}).groupby("department")
    out = pd.DataFrame(
        {
            "headcount": g.size(),
            "avg_salary": g["salary"].mean().round(2),
            "max_salary": g["salary"].max(),
        }
    ).reset_index()
    return out.sort_values("department").reset_index(drop=True)
