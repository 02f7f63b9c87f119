"""Oracle for the XLSX reader's tests: what pandas.read_excel (openpyxl) gives.

Reads a JSON list of {"path", "header", "sheet"} on stdin and prints one JSON object per
file: {"columns": [...], "dtypes": [...], "values": [[...] per column]} with each value
spelled canonically (see canonical()), or {"error": "..."} when pandas raises.
"""
import datetime as dt
import json
import math
import sys
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")


def canonical(value, dtype):
    """None for missing; Python's str() otherwise, with timedelta64 values in microseconds."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, pd.Timestamp):
        return str(value.to_pydatetime())
    if dtype.startswith("timedelta64"):
        return "td:%d" % (pd.Timedelta(value).value // 1000)
    return str(value)


def read(job):
    try:
        df = pd.read_excel(job["path"], sheet_name=job.get("sheet") or 0,
                           header=0 if job.get("header", True) else None)
    except Exception as error:  # pandas raising is an answer too
        return {"error": "%s: %s" % (type(error).__name__, error)}
    dtypes = [str(t) for t in df.dtypes]
    return {
        "columns": [str(c) for c in df.columns],
        "dtypes": dtypes,
        "rows": int(df.shape[0]),
        "values": [[canonical(v, dtypes[i]) for v in df.iloc[:, i].tolist()]
                   for i in range(df.shape[1])],
    }


for job in json.load(sys.stdin):
    print(json.dumps(read(job)))
