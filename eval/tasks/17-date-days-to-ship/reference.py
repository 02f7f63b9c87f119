import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    ordered = pd.to_datetime(df["ordered"], format="%m/%d/%Y")
    shipped = pd.to_datetime(df["shipped"], format="%m/%d/%Y", errors="coerce")
    days = (shipped - ordered).dt.days
    return pd.DataFrame(
        {
            "order": df["order"],
            "ordered": ordered.dt.strftime("%Y-%m-%d"),
            "shipped": shipped.dt.strftime("%Y-%m-%d"),
            "days_to_ship": days.astype("Int64"),
            "late": (days > 5).fillna(False).astype(bool),
        }
    )
