import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    tags = df["tags"].dropna().str.split(";").explode().str.strip().str.lower()
    tags = tags[tags != ""]
    return tags.value_counts()
