"""A lossless, typed picture of a DataFrame: its shape, index, column labels, dtypes and every value.

One file, two uses (test/fidelity-differential.e2e-spec.ts):
- sent as a job's code: `transform(df)` returns the snapshot of what the sandbox handed it, as
  JSON text cut into rows of a one-text-column frame (`part`, `chunk`), so it survives any output
  format unchanged;
- imported by test/support/pandas_oracle.py, which takes the snapshot of what
  `pandas.read_csv(path)` / `pandas.read_excel(path, sheet_name=0)` gives for the same file.
Both sides must produce the same JSON for the same frame, so the comparison is exact.

It runs under the sandbox's code policy (config/sandbox-policy.json): allowed imports only, no
I/O, no dunder or private attributes, no `to_*` methods outside the allowed list.

Value tags (JSON arrays, the type first):
  ["int", "<digits>"]          Python or NumPy integer (digits as text: JSON numbers lose them)
  ["float", "<repr>"]          Python or NumPy float, repr() so it is exact: "nan", "inf", "-0.0"
  ["bool", true|false]         Python or NumPy boolean
  ["str", "<text>"]            str (NumPy str too)
  ["None"], ["NA"] (pd.NA), ["NaT"] (pd.NaT); NaN is ["float", "nan"]
  ["Timestamp", "<isoformat>"] pandas Timestamp (nanoseconds and offset included)
  ["datetime", "<isoformat>"]  datetime.datetime that is not a Timestamp
  ["date", "<isoformat>"]      datetime.date
  ["time", "<isoformat>"]      datetime.time
  ["Timedelta", "<ns>"]        pandas Timedelta, in nanoseconds
  ["timedelta", "<str>"]       datetime.timedelta that is not a Timedelta
  ["Decimal", "<str>"]         decimal.Decimal
  ["bytes", "<repr>"]          bytes
  ["datetime64", "<str>"] ["timedelta64", "<str>"]  bare NumPy scalars
  ["other", "<type>", "<repr>"] anything else
"""

import datetime
import decimal
import json

import numpy as np
import pandas as pd

CHUNK_CHARS = 8000


def tag(value):
    if value is None:
        return ["None"]
    if value is pd.NA:
        return ["NA"]
    if value is pd.NaT:
        return ["NaT"]
    if isinstance(value, (bool, np.bool_)):
        return ["bool", bool(value)]
    if isinstance(value, (int, np.integer)):
        return ["int", str(int(value))]
    if isinstance(value, (float, np.floating)):
        return ["float", repr(float(value))]
    if isinstance(value, str):
        return ["str", str(value)]
    if isinstance(value, pd.Timestamp):
        return ["Timestamp", value.isoformat()]
    if isinstance(value, datetime.datetime):
        return ["datetime", value.isoformat()]
    if isinstance(value, datetime.date):
        return ["date", value.isoformat()]
    if isinstance(value, datetime.time):
        return ["time", value.isoformat()]
    if isinstance(value, pd.Timedelta):
        return ["Timedelta", str(value.value)]
    if isinstance(value, datetime.timedelta):
        return ["timedelta", str(value)]
    if isinstance(value, decimal.Decimal):
        return ["Decimal", str(value)]
    if isinstance(value, bytes):
        return ["bytes", repr(value)]
    if isinstance(value, np.datetime64):
        return ["datetime64", str(value)]
    if isinstance(value, np.timedelta64):
        return ["timedelta64", str(value)]
    return ["other", str(type(value)), repr(value)]


def index_snapshot(index):
    if isinstance(index, pd.RangeIndex):
        return ["range", index.start, index.stop, index.step]
    return ["index", str(index.dtype), [tag(v) for v in index.tolist()]]


def snapshot(df):
    columns = []
    for position in range(df.shape[1]):
        series = df.iloc[:, position]
        columns.append(
            {
                "label": tag(df.columns[position]),
                "dtype": str(series.dtype),
                "values": [tag(v) for v in series.tolist()],
            }
        )
    return {
        "rows": int(df.shape[0]),
        "index": index_snapshot(df.index),
        "columns": columns,
    }


def snapshot_text(df):
    return json.dumps(snapshot(df), ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def transform(df):
    text = snapshot_text(df)
    # "~" first: no chunk can look like a number, a date or a missing-value token to any layer.
    chunks = ["~" + text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)]
    return pd.DataFrame({"part": list(range(len(chunks))), "chunk": chunks})
