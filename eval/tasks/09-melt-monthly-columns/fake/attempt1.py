import os

import pandas as pd


def main():
    df = pd.read_csv(os.environ["INPUT_FILE_PATH"])
    long = df.melt(id_vars=["store"], value_vars=["Jan", "Feb", "Mar", "Apr"], var_name="month", value_name="units")
    long = long.dropna(subset=["units"])
    long["units"] = long["units"].astype("int64")
    long = long.reset_index(drop=True)
    long.to_csv(os.environ["OUTPUT_FILE_PATH"], index=False)


if __name__ == "__main__":
    main()
