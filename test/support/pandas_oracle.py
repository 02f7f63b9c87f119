"""The differential test's oracle: what pandas itself gives for each file.

Reads a JSON list of requests on stdin, each {"id", "path", "kind": "csv"|"xlsx", "options": {...},
"sniff": bool} (options are extra keyword arguments for read_csv / read_excel, used by the
intended differences), and prints one JSON object {id: Reading}, where a Reading is
{"snapshot": <frame_snapshot.snapshot>, "labels_as_text": [...], "dates": {...}} or
{"error": "<ExceptionType>: <message>"}, plus "sniffed" (below).

Run it with the sandbox's interpreter (/usr/bin/python3: pandas 1.5.3, openpyxl), never a
pandas-less python3 from PATH.

- `labels_as_text`: str() of each column label (read_excel keeps numbers and dates as labels).
- `dates`: for each object column (by position) whose present values are all text that
  `pd.to_datetime` turns into datetime64[ns] without making a value missing, that reading. The
  contract lets the upload hand such a column over as datetime64.
- `exact_floats`: for each float64 column (by position) whose values differ when the text is
  parsed exactly (`float_precision="round_trip"`; pandas' default parser can be an ulp off on
  17-digit text), that reading (CSV only).
- `sniffed` (CSV, with "sniff": true): when the defaults give one column or raise a ParserError,
  and the first line (not an Excel `sep=` line) has no comma but a `;`, tab or `|`, pandas'
  reading with that delimiter: {"sep", ...Reading}.
"""

import json
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pandas as pd  # noqa: E402

from frame_snapshot import snapshot, tag  # noqa: E402

SEPARATORS = (";", "\t", "|")


def describe(exc):
    return f"{type(exc).__name__}: {exc}"[:500]


def read(path, kind, options):
    options = dict(options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "csv":
            return pd.read_csv(path, **options)
        return pd.read_excel(path, sheet_name=options.pop("sheet_name", 0), engine="openpyxl", **options)


def as_dates(series):
    present = series.dropna()
    if len(present) == 0 or not all(isinstance(v, str) for v in present):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            converted = pd.to_datetime(series, errors="raise")
    except (ValueError, TypeError, OverflowError):
        return None
    if not str(converted.dtype).startswith("datetime64[ns") or converted.isna().sum() != series.isna().sum():
        return None
    return {"dtype": str(converted.dtype), "values": [tag(v) for v in converted.tolist()]}


def reading(path, kind, options):
    """(Reading, the frame or None, the exception or None)"""
    try:
        frame = read(path, kind, options)
    except Exception as exc:  # what pandas raises is the answer
        return {"error": describe(exc)}, None, exc
    dates = {}
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if series.dtype == object:
            converted = as_dates(series)
            if converted is not None:
                dates[str(position)] = converted
    result = {
        "snapshot": snapshot(frame),
        "labels_as_text": [str(label) for label in frame.columns],
        "dates": dates,
        "exact_floats": exact_floats(path, kind, options, frame),
    }
    return result, frame, None


def exact_floats(path, kind, options, frame):
    """float64 columns whose values differ under float_precision='round_trip' (CSV only)."""
    floats = [p for p in range(frame.shape[1]) if str(frame.iloc[:, p].dtype) == "float64"]
    if kind != "csv" or not floats:
        return {}
    try:
        exact = read(path, kind, dict(options, float_precision="round_trip"))
    except Exception:
        return {}
    found = {}
    for position in floats:
        if position >= exact.shape[1] or str(exact.iloc[:, position].dtype) != "float64":
            continue
        ours, theirs = frame.iloc[:, position].tolist(), exact.iloc[:, position].tolist()
        if [repr(v) for v in ours] != [repr(v) for v in theirs]:
            found[str(position)] = [tag(v) for v in theirs]
    return found


def separator_of_first_line(path, options):
    with open(path, "rb") as f:
        lines = f.read(65536).splitlines()
    lines = lines[options.get("skiprows", 0) :]
    if not lines or lines[0].lower().startswith(b"sep="):
        return None
    first = lines[0].decode(options.get("encoding", "utf-8"), "replace")
    if "," in first:
        return None
    counts = {sep: first.count(sep) for sep in SEPARATORS}
    sep = max(counts, key=counts.get)
    return sep if counts[sep] else None


def answer(request):
    path, kind = request["path"], request["kind"]
    options = request.get("options") or {}
    result, frame, error = reading(path, kind, options)
    wanted = kind == "csv" and request.get("sniff") and "sep" not in options
    one_column = frame is not None and frame.shape[1] == 1
    if wanted and (one_column or isinstance(error, pd.errors.ParserError)):
        sep = separator_of_first_line(path, options)
        if sep is not None:
            result["sniffed"] = dict(reading(path, kind, dict(options, sep=sep))[0], sep=sep)
    return result


def main():
    requests = json.load(sys.stdin)
    json.dump({r["id"]: answer(r) for r in requests}, sys.stdout, ensure_ascii=True, allow_nan=False)


if __name__ == "__main__":
    main()
