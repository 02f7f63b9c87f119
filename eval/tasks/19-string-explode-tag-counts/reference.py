import pandas as pd


def transform(df: pd.DataFrame) -> pd.DataFrame:
    tags = df["tags"].dropna().str.split(";").explode().str.strip().str.lower()
    tags = tags[tags != ""]
    counts = tags.value_counts().rename_axis("tag").reset_index(name="posts")
    return counts.sort_values(["posts", "tag"], ascending=[False, True]).reset_index(drop=True)
