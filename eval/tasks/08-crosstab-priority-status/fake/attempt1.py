import pandas as pd

ALIASES = {"h": "High", "hi": "High", "high": "High", "m": "Medium", "med": "Medium", "medium": "Medium", "l": "Low", "lo": "Low", "low": "Low"}


def transform(df: pd.DataFrame) -> pd.DataFrame:
    priority = df["priority"].astype(str).str.strip().str.lower().map(ALIASES)
    status = df["status"].astype(str).str.strip().str.lower()
    table = pd.crosstab(priority, status)
    table = table.reindex(["High", "Medium", "Low"], fill_value=0)
    table.index.name = "priority"
    table.columns.name = None
    return table.reset_index()
