"""pandas as the oracle for a job's downloads (test/output-roundtrip.e2e-spec.ts).

stdin: JSON {"code", "csv", "json", "xlsx" (paths), "parquet": {"schema", "types", "rows"}
(DuckDB's reading, values as text), "intended": [keys]}. The same `transform` runs here on
the same input; every download is compared with the frame it returned, value by value.
A difference is accepted only under a key of "intended" (the list, with reasons, is in the
spec); each key used is reported.
stdout: JSON {"problems": [...], "used": [...]}.
"""

import csv
import datetime as dt
import decimal
import io
import json
import math
import sys

import numpy as np
import pandas as pd

MAX_SAFE = 2**53 - 1
problems, used = [], set()
intended = set()


def allow(key, where):
    if key in intended:
        used.add(key)
        return True
    problems.append(f"{where}: a difference not in the intended list ({key})")
    return False


def fail(where, ours, theirs):
    problems.append(f"{where}: ours {ours!r}, expected {theirs!r}")


def missing(x):
    return x is None or x is pd.NaT or x is pd.NA or (pd.api.types.is_scalar(x) and bool(pd.isna(x)))


def exposed(out):
    """The contract: an index that holds data becomes leading columns; row numbers go."""
    index = out.index
    if isinstance(index, pd.MultiIndex) or index.name is not None or not pd.api.types.is_integer_dtype(index.dtype):
        return out.reset_index(allow_duplicates=True)
    return out.reset_index(drop=True)


def label_text(label):
    if isinstance(label, str):
        return label
    if isinstance(label, tuple):
        return "_".join(p for p in (label_text(x) for x in label) if p != "")
    if label is None or (isinstance(label, float) and label != label):
        return ""
    return str(label)


def expected_names(labels):
    """Duplicates renamed as read_csv renames a header (empty names stand in for themselves)."""
    if len(set(labels)) == len(labels):
        return labels
    allow("duplicate-names", "names")
    # read_csv names an empty header "Unnamed: i": a stand-in lets it mangle empty names too.
    tokens = [name if name != "" else "\x01" for name in labels]
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(tokens)
    mangled = list(pd.read_csv(io.StringIO(line.getvalue()), nrows=0).columns)
    return [m[1:] if m.startswith("\x01") else m for m in mangled]


def same_float(a, b):
    return (a != a and b != b) or (a == b and math.copysign(1, a) == math.copysign(1, b))


def as_python(x):
    if isinstance(x, np.generic):
        return x.item() if not isinstance(x, (np.datetime64, np.timedelta64)) else x
    return x


def text_column(series):
    """The contract's columns of Python objects that travel as text: mixed types, integers
    beyond 64 bits (Decimal has its own key)."""
    if series.dtype != object:
        return None
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind == "integer":
        present = [int(v) for v in series if not missing(v)]
        if all(-(2**63) <= v < 2**64 for v in present) and (all(v >= 0 for v in present) or all(v < 2**63 for v in present)):
            return None
        return "integers-beyond-64-bits-as-text"
    if kind in ("mixed", "mixed-integer", "bytes", "complex", "period", "interval", "unknown-array"):
        return "objects-as-text"
    return None


def check_text(where, x, v, key):
    if missing(x):
        if v is not None:
            fail(where, v, None)
    elif not (v == str(x) and allow(key, where)):
        fail(where, v, str(x))


def check_json_value(where, x, v):
    if isinstance(x, (np.float32, np.float16)) and not missing(x):
        if not (isinstance(v, (int, float)) and np.float32(v) == x):
            fail(where, v, x)
        return
    x = as_python(x)
    if missing(x):
        if v is not None:
            fail(where, v, None)
        return
    if isinstance(x, bool):
        if v is not x:
            fail(where, v, x)
    elif isinstance(x, int):
        if abs(x) > MAX_SAFE:
            if not (isinstance(v, str) and int(v) == x and allow("json-big-integers-as-strings", where)):
                fail(where, v, str(x))
        elif not (type(v) is int and v == x):
            fail(where, v, x)
    elif isinstance(x, float):
        if math.isinf(x):
            if not (v == ("Infinity" if x > 0 else "-Infinity") and allow("json-infinity-as-string", where)):
                fail(where, v, x)
        elif not (isinstance(v, (int, float)) and same_float(float(v), x)):
            fail(where, v, x)
    elif isinstance(x, pd.Timestamp):
        if not (isinstance(v, str) and "T" in v and pd.Timestamp(v) == x and pd.Timestamp(v).utcoffset() == x.utcoffset()):
            fail(where, v, x.isoformat())
    elif isinstance(x, pd.Timedelta):
        if not (isinstance(v, str) and v.lstrip("-").startswith("P") and pd.Timedelta(v) == x):
            fail(where, v, x.isoformat())
    elif isinstance(x, dt.time):
        if not (isinstance(v, str) and dt.time.fromisoformat(v) == x):
            fail(where, v, x.isoformat())
    elif isinstance(x, dt.date):
        if not (isinstance(v, str) and dt.date.fromisoformat(v) == x):
            fail(where, v, x.isoformat())
    elif isinstance(x, str):
        if v != x:
            fail(where, v, x)
    elif isinstance(x, decimal.Decimal):
        if not (v == str(x) and allow("decimal-as-text", where)):
            fail(where, v, str(x))
    elif not (v == str(x) and allow("objects-as-text", where)):
        fail(where, v, str(x))


def check_csv(path, frame, names):
    with open(path, encoding="utf-8", newline="") as f:
        ours = f.read()
    theirs_frame = frame.copy()
    theirs_frame.columns = names
    theirs = theirs_frame.to_csv(index=False)
    if ours == theirs:
        pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(ours)), pd.read_csv(io.StringIO(theirs)))
        return
    has_cr = any(isinstance(v, str) and "\r" in v for v in frame.astype(object).to_numpy().ravel())
    # pandas leaves "\r" bare: compare the cells, and our quoting with "\r" quoted too.
    cells = list(csv.reader(io.StringIO(theirs_frame.to_csv(index=False, quoting=csv.QUOTE_ALL), newline="")))
    requoted = io.StringIO()
    for row in cells:
        if len(row) == 1 and row[0] == "":
            requoted.write('""\n')
            continue
        requoted.write(",".join(f'"{c.replace(chr(34), chr(34) * 2)}"' if any(ch in c for ch in ',"\r\n') else c for c in row) + "\n")
    if has_cr and ours == requoted.getvalue() and allow("csv-carriage-return-quoted", "csv"):
        back = pd.read_csv(io.StringIO(ours))
        if list(map(str, back.columns)) != [n for n in names]:
            fail("csv names read back", list(back.columns), names)
        return
    ours_lines, theirs_lines = ours.split("\n"), theirs.split("\n")
    for i, (a, b) in enumerate(zip(ours_lines, theirs_lines)):
        if a != b:
            return fail(f"csv line {i + 1}", a, b)
    fail("csv length", len(ours_lines), len(theirs_lines))


def check_json(path, frame, names):
    with open(path, encoding="utf-8") as f:
        rows = json.load(f, object_pairs_hook=lambda pairs: pairs)
    if len(rows) != len(frame):
        return fail("json rows", len(rows), len(frame))
    texts = [text_column(frame.iloc[:, j]) for j in range(frame.shape[1])]
    for i, row in enumerate(rows):
        keys = [k for k, _ in row]
        if keys != names:
            return fail(f"json row {i} keys", keys, names)
        for j, (_, v) in enumerate(row):
            where = f"json row {i} column {names[j]!r}"
            if texts[j]:
                check_text(where, frame.iloc[i, j], v, texts[j])
            else:
                check_json_value(where, frame.iloc[i, j], v)


def check_xlsx(path, frame, names):
    back = pd.read_excel(path, dtype=object)
    read_names = list(back.columns)
    for j, name in enumerate(names):
        if read_names[j] != name and not (name == "" and read_names[j] == f"Unnamed: {j}" and allow("pandas-reader-names-empty-header", "xlsx")):
            fail(f"xlsx name {j}", read_names[j], name)
    if len(back) != len(frame):
        return fail("xlsx rows", len(back), len(frame))
    for j in range(frame.shape[1]):
        text = text_column(frame.iloc[:, j])
        for i in range(len(frame)):
            where = f"xlsx row {i} column {names[j]!r}"
            x, c = as_python(frame.iloc[i, j]), back.iloc[i, j]
            if text:
                check_text(where, x, None if missing(c) else c, text)
            elif missing(x):
                if not missing(c):
                    fail(where, c, None)
            elif isinstance(x, str) and x == "":
                if not (missing(c) and allow("xlsx-empty-text-read-as-missing", where)):
                    fail(where, c, x)
            elif isinstance(x, bool):
                if c is not x and c != x:
                    fail(where, c, x)
            elif isinstance(x, int):
                if abs(x) > MAX_SAFE:
                    if not (isinstance(c, str) and int(c) == x and allow("xlsx-big-integers-as-text", where)):
                        fail(where, c, x)
                elif not (isinstance(c, (int, float)) and c == x):
                    fail(where, c, x)
            elif isinstance(x, float):
                if math.isinf(x):
                    if not (c == ("inf" if x > 0 else "-inf") and allow("xlsx-infinity-as-text", where)):
                        fail(where, c, x)
                elif not (isinstance(c, (int, float)) and float(c) == x):
                    fail(where, c, x)
            elif isinstance(x, pd.Timestamp) and x.tz is not None:
                if not (isinstance(c, str) and pd.Timestamp(c) == x and pd.Timestamp(c).utcoffset() == x.utcoffset() and allow("xlsx-zoned-as-text", where)):
                    fail(where, c, str(x))
            elif isinstance(x, pd.Timestamp):
                if isinstance(c, str):
                    if not (pd.Timestamp(c) == x and x < pd.Timestamp("1900-03-01") and allow("xlsx-before-1900-as-text", where)):
                        fail(where, c, x)
                elif pd.Timestamp(c) != x:
                    if not (pd.Timestamp(c) == x.floor("ms") and allow("xlsx-milliseconds", where)):
                        fail(where, c, x)
            elif isinstance(x, pd.Timedelta):
                if not (isinstance(c, str) and pd.Timedelta(c) == x and allow("xlsx-duration-as-text", where)):
                    fail(where, c, x)
            elif isinstance(x, dt.time):
                cut = x.replace(microsecond=x.microsecond // 1000 * 1000)
                if not (isinstance(c, dt.time) and (c == x or (c == cut and allow("xlsx-milliseconds", where)))):
                    fail(where, c, x)
            elif isinstance(x, dt.date):
                if isinstance(c, str):
                    if not (dt.date.fromisoformat(c) == x and x < dt.date(1900, 3, 1) and allow("xlsx-before-1900-as-text", where)):
                        fail(where, c, x)
                elif not (isinstance(c, dt.datetime) and c.date() == x and c.time() == dt.time(0) and allow("xlsx-date-read-as-datetime", where)):
                    fail(where, c, x)
            elif isinstance(x, str):
                if c != x and not (c == xml_escaped(x) and allow("xlsx-control-characters-escaped", where)):
                    fail(where, c, x)
            elif isinstance(x, decimal.Decimal):
                if not (c == str(x) and allow("decimal-as-text", where)):
                    fail(where, c, str(x))
            elif not (c == str(x) and allow("objects-as-text", where)):
                fail(where, c, str(x))


def xml_escaped(text):
    """Control characters as the _xHHHH_ escapes an XLSX writer must use (XML holds none raw)."""
    return "".join(f"_x{ord(ch):04x}_" if ord(ch) < 32 and ch not in "\t\n" else ch for ch in text)


def check_parquet(dump, frame, names):
    schema = dump["schema"]
    if [s["name"] for s in schema] != names:
        return fail("parquet names", [s["name"] for s in schema], names)
    if len(dump["rows"]) != len(frame):
        return fail("parquet rows", len(dump["rows"]), len(frame))
    for j, (column, kind) in enumerate(zip(schema, dump["types"])):
        dtype = str(frame.dtypes.iloc[j])
        text = text_column(frame.iloc[:, j])
        if text:
            for i, row in enumerate(dump["rows"]):
                check_text(f"parquet row {i} column {names[j]!r}", frame.iloc[i, j], row[j], text)
            continue
        narrow = {"int8": "TINYINT", "int16": "SMALLINT", "int32": "INTEGER", "uint8": "UTINYINT", "uint16": "USMALLINT", "uint32": "UINTEGER", "float32": "FLOAT"}
        if dtype in narrow and kind != narrow[dtype]:
            fail(f"parquet type of {names[j]!r}", kind, narrow[dtype])
        for i, row in enumerate(dump["rows"]):
            where = f"parquet row {i} column {names[j]!r}"
            x, v = as_python(frame.iloc[i, j]), row[j]
            if missing(x):
                if v is not None:
                    fail(where, v, None)
                continue
            if v is None:
                fail(where, None, x)
                continue
            if isinstance(x, bool):
                ok = v == ("true" if x else "false")
            elif isinstance(x, int):
                ok = int(v) == x
            elif isinstance(x, float):
                ok = same_float(float(np.float32(v)) if kind == "FLOAT" else float(v), x)
            elif isinstance(x, pd.Timestamp) and x.tz is not None:
                ok = (
                    "isAdjustedToUTC=1" in column["logical"] and "NANOS" in column["logical"]
                    and int(v) == x.value // 1000
                    and allow("parquet-zone-kept-as-utc", where)
                    and (x.value % 1000 == 0 or allow("parquet-zoned-nanoseconds-read-by-duckdb-as-micro", where))
                )
            elif isinstance(x, pd.Timestamp):
                ok = int(v) == x.value and "NANOS" in column["logical"]
            elif isinstance(x, pd.Timedelta):
                ok = pd.Timedelta(v) == x and allow("parquet-duration-as-text", where)
            elif isinstance(x, dt.time):
                ok = dt.time.fromisoformat(v[:15]) == x
            elif isinstance(x, dt.date):
                ok = dt.date.fromisoformat(v) == x
            elif isinstance(x, str):
                ok = v == x
            elif isinstance(x, decimal.Decimal):
                ok = v == str(x) and allow("decimal-as-text", where)
            else:
                ok = v == str(x) and allow("objects-as-text", where)
            if not ok:
                fail(where, v, x)


def main():
    global intended
    request = json.load(sys.stdin)
    intended = set(request["intended"])
    namespace = {}
    exec(compile(request["code"], "transform", "exec"), namespace)
    out = namespace["transform"](pd.DataFrame({"x": [1]}))
    frame = exposed(out)
    names = expected_names([label_text(label) for label in frame.columns])
    for check, arg in ((check_csv, request["csv"]), (check_json, request["json"]), (check_xlsx, request["xlsx"]), (check_parquet, request["parquet"])):
        try:
            check(arg, frame, names)
        except Exception as exc:
            problems.append(f"{check.__name__}: {type(exc).__name__}: {exc}")
    print(json.dumps({"problems": problems[:50], "used": sorted(used), "names": names}))


main()
