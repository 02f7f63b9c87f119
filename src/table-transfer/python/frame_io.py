"""The frame format (described once, in src/table-transfer/frame.ts), both ways: the input file into the `df` that
`transform` sees, and the DataFrame it returns into the output frame.

Output rule: nothing is lost. An index that holds data becomes leading columns; every dtype
travels as what it is (kinds i u f b t z d T s); what cannot (Decimal, mixed objects, ...)
travels as text and a sentence in `warnings` says so.

numpy and pandas are passed in (`np`, `pd`): the runner imports them under its limits.
"""

import datetime
import json
import os

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1
# Integers a float64 holds exactly.
FLOAT_EXACT = 2**53
SEPARATOR = "\x00"
NAME_IN_WARNING_MAX_CHARS = 60


# ---------------------------------------------------------------- input


def read_input(path, np, pd):
    """The input frame at `path` as a DataFrame, each column built from its kind and dtype."""
    with open(path, "rb") as f:
        header = json.loads(f.readline())
        body = bytearray(os.fstat(f.fileno()).st_size - f.tell())
        view = memoryview(body)
        filled = 0
        while filled < len(body):
            got = f.readinto(view[filled:])
            if not got:
                raise ValueError("input file is truncated")
            filled += got
    rows = header["rows"]
    pos = 0
    names, columns = [], []
    for col in header["columns"]:
        valid = None
        if col["nulls"]:
            valid = np.frombuffer(body, dtype=np.uint8, count=rows, offset=pos).astype(bool)
            pos += rows
        raw = view[pos : pos + col["size"]]
        pos += col["size"]
        names.append(col["name"])
        columns.append(decode_column(col, raw, valid, rows, np, pd))
    if not columns:
        return pd.DataFrame(index=pd.RangeIndex(rows))
    # Keyed by position: names may repeat or be anything a file holds.
    frame = pd.DataFrame(dict(enumerate(columns)), copy=False)
    frame.columns = pd.Index(names, dtype=object)
    return frame


def fixed_offset(text, datetime_module=datetime):
    """'+05:30' as a tzinfo; None when `text` is a zone name."""
    if len(text) not in (6, 9) or text[0] not in "+-" or text[3] != ":":
        return None
    parts = text[1:].split(":")
    seconds = int(parts[0]) * 3600 + int(parts[1]) * 60 + (int(parts[2]) if len(parts) > 2 else 0)
    if text[0] == "-":
        seconds = -seconds
    try:
        import pytz

        if seconds % 60 == 0:
            return pytz.FixedOffset(seconds // 60)
    except ImportError:
        pass
    return datetime_module.timezone(datetime_module.timedelta(seconds=seconds))


def decode_column(col, raw, valid, rows, np, pd):
    kind, dtype = col["kind"], col.get("dtype")
    missing = None if valid is None else ~valid
    if kind == "i":
        values = np.frombuffer(raw, dtype="<i8", count=rows)
        if dtype == "Int64":
            return pd.arrays.IntegerArray(values.copy(), np.zeros(rows, dtype=bool) if missing is None else missing)
        return values
    if kind == "u":
        values = np.frombuffer(raw, dtype="<u8", count=rows)
        if dtype == "UInt64":
            return pd.arrays.IntegerArray(values.copy(), np.zeros(rows, dtype=bool) if missing is None else missing)
        return values
    if kind == "f":
        values = np.frombuffer(raw, dtype="<f8", count=rows)
        if missing is not None:
            values[missing] = np.nan
        return values
    if kind == "b":
        flags = np.frombuffer(raw, dtype=np.uint8, count=rows).astype(bool)
        if dtype == "boolean":
            return pd.arrays.BooleanArray(flags, np.zeros(rows, dtype=bool) if missing is None else missing)
        if missing is None and dtype != "object":
            return flags
        values = flags.astype(object)
        if missing is not None:
            values[missing] = np.nan
        return values
    if kind in ("t", "z", "d"):
        nanos = np.frombuffer(raw, dtype="<i8", count=rows).copy()
        if missing is not None:
            nanos[missing] = INT64_MIN
        if kind == "d":
            return nanos.view("m8[ns]")
        stamps = nanos.view("M8[ns]")
        if kind == "t":
            return stamps
        tz = col.get("tz") or "UTC"
        zone = fixed_offset(tz) or tz
        return pd.DatetimeIndex(stamps).tz_localize("UTC").tz_convert(zone)
    if kind == "T":
        nanos = np.frombuffer(raw, dtype="<i8", count=rows)
        values = pd.DatetimeIndex(nanos.view("M8[ns]")).time
        if missing is not None:
            values[missing] = np.nan
        return values
    if kind == "s":
        text = bytes(raw).decode("utf-8")
        values = np.empty(rows, dtype=object)
        if rows:
            values[:] = text.split(SEPARATOR)
        if missing is not None:
            values[missing] = np.nan
        if dtype == "string":
            return pd.array(values, dtype="string")
        return values
    raise ValueError(f"unknown column kind {kind!r}")


# ---------------------------------------------------------------- output


class OutputError(Exception):
    pass


def shown(name):
    """A column name as quoted in a warning."""
    text = name if len(name) <= NAME_IN_WARNING_MAX_CHARS else name[: NAME_IN_WARNING_MAX_CHARS - 1] + "…"
    return repr(text)


def expose_index(frame, pd, warnings):
    """The index as leading columns when it holds data, named as reset_index() names them; an
    unnamed integer index (row numbers) is dropped."""
    index = frame.index
    multi = isinstance(index, pd.MultiIndex)
    if not multi and index.name is None and pd.api.types.is_integer_dtype(index.dtype):
        return frame
    before = frame.shape[1]
    out = frame.reset_index(allow_duplicates=True)
    added = [column_label(label) for label in out.columns[: out.shape[1] - before]]
    listed = ", ".join(shown(name) for name in added)
    if multi:
        warnings.append(f"The result's index levels were kept as its first columns {listed}, as reset_index() names them.")
    else:
        warnings.append(f"The result's index was kept as its first column {listed}, as reset_index() names it.")
    return out


def column_label(label):
    """A column label as text, as to_csv writes it in the header (None and NaN as '')."""
    if isinstance(label, str):
        return label
    if isinstance(label, tuple):
        return "_".join(part for part in (column_label(p) for p in label) if part != "")
    if label is None or (isinstance(label, float) and label != label):
        return ""
    return str(label)


def encode_output(frame, np, pd):
    """Returns (header columns, body parts, warnings) for the frame `transform` returned,
    as frame.ts describes them."""
    warnings = []
    frame = expose_index(frame, pd, warnings)
    if isinstance(frame.columns, pd.MultiIndex):
        warnings.append("The result's column labels have several levels; each name joins its levels with '_'.")
    columns, body = [], []
    for position, label in enumerate(frame.columns):
        name = column_label(label)
        try:
            out = encode_series(frame.iloc[:, position], name, np, pd, warnings)
        except MemoryError:
            raise
        except Exception as exc:
            raise OutputError(f"column {name!r} could not be converted: {type(exc).__name__}: {exc}")
        missing = out.pop("missing")
        has_nulls = bool(missing is not None and missing.any())
        if has_nulls:
            body.append((~missing).astype(np.uint8).tobytes())
        data = out.pop("data")
        body.append(data)
        columns.append({"name": name, "nulls": has_nulls, "size": len(data), **out})
    return columns, body, warnings


def encode_series(series, name, np, pd, warnings):
    """One column as {"kind", "data", "missing", "dtype", "tz"?, "as"?}."""
    types = pd.api.types
    dtype = series.dtype
    dtype_name = str(dtype)
    extension = types.is_extension_array_dtype(dtype)

    def result(kind, data, missing, **extra):
        return {"kind": kind, "data": data, "missing": missing, "dtype": dtype_name, **extra}

    if isinstance(dtype, pd.CategoricalDtype):
        return encode_categorical(series, name, np, pd, warnings)
    if isinstance(dtype, pd.SparseDtype):
        out = encode_series(series.sparse.to_dense(), name, np, pd, warnings)
        out["dtype"] = dtype_name
        return out
    if types.is_bool_dtype(dtype):
        missing = series.isna().to_numpy() if extension else None
        flags = series.to_numpy(dtype=bool, na_value=False)
        return result("b", flags.view(np.uint8).tobytes(), missing)
    if types.is_integer_dtype(dtype):
        missing = series.isna().to_numpy() if extension else None
        if dtype.kind == "u" and dtype.itemsize == 8:
            return result("u", series.to_numpy(dtype="<u8", na_value=0).tobytes(), missing)
        return result("i", series.to_numpy(dtype="<i8", na_value=0).tobytes(), missing)
    if types.is_float_dtype(dtype):
        # NaN is missing, as pandas itself reads and writes it.
        return result("f", series.to_numpy(dtype="<f8", na_value=np.nan).tobytes(), None)
    if types.is_datetime64tz_dtype(dtype):
        zone = zone_name(dtype.tz)
        if zone is None:
            warnings.append(f"Column {shown(name)} has a time zone ({dtype.tz}) without a name or fixed offset; its values were sent as text.")
            return encode_text(series, name, np, pd, warnings)
        nanos = series.array.asi8
        return result("z", nanos.astype("<i8", copy=False).tobytes(), nanos == INT64_MIN, tz=zone)
    if types.is_datetime64_dtype(dtype):
        nanos = series.to_numpy(dtype="M8[ns]").view("<i8")
        return result("t", nanos.tobytes(), nanos == INT64_MIN)
    if types.is_timedelta64_dtype(dtype):
        nanos = series.to_numpy(dtype="m8[ns]").view("<i8")
        return result("d", nanos.tobytes(), nanos == INT64_MIN)
    if isinstance(dtype, pd.StringDtype):
        return encode_text(series, name, np, pd, warnings, all_text=True)
    if types.is_complex_dtype(dtype) or extension:
        out = encode_object(series.astype(object), name, np, pd, warnings)
        out["dtype"] = dtype_name
        return out
    return encode_object(series, name, np, pd, warnings)


def encode_categorical(series, name, np, pd, warnings):
    """A categorical column as its values."""
    codes = series.cat.codes.to_numpy()
    categories = series.cat.categories
    gone = codes < 0
    if len(categories) == 0:
        values = pd.Series(np.full(len(series), None, dtype=object))
    else:
        values = pd.Series(categories.take(np.where(gone, 0, codes)))
    out = encode_series(values, name, np, pd, warnings)
    missing = out["missing"]
    if out["kind"] == "f":
        if gone.any():
            floats = np.frombuffer(out["data"], dtype="<f8").copy()
            floats[gone] = np.nan
            out["data"] = floats.tobytes()
    else:
        out["missing"] = gone if missing is None else (missing | gone)
    out["dtype"] = "category"
    return out


def zone_name(tz):
    """An IANA name (pytz, zoneinfo) or a fixed offset '+HH:MM[:SS]'; None if neither."""
    for attribute in ("zone", "key"):
        key = getattr(tz, attribute, None)
        if isinstance(key, str) and key:
            return key
    filename = getattr(tz, "_filename", None)
    if isinstance(filename, str) and "/" in filename and not filename.startswith("/"):
        return filename
    try:
        offset = tz.utcoffset(None)
    except Exception:
        offset = None
    if offset is None:
        return None
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def type_names(values, limit=4):
    names = []
    for value in values:
        n = type(value).__name__
        if n not in names:
            names.append(n)
            if len(names) == limit:
                break
    return ", ".join(names)


def encode_object(series, name, np, pd, warnings):
    """A column of Python objects, by what its values are (pandas' infer_dtype)."""
    values = series.to_numpy(dtype=object)
    missing = pd.isna(values)
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    present = values[~missing]
    rows = len(values)
    dtype_name = str(series.dtype)

    def result(kind, data, gaps, **extra):
        return {"kind": kind, "data": data, "missing": gaps, "dtype": dtype_name, **extra}

    def as_text(reason):
        if reason:
            warnings.append(f"Column {shown(name)} {reason}; its values were sent as text.")
        return encode_text(series, name, np, pd, warnings, values=values, missing=missing)

    if inferred in ("string", "empty"):
        return encode_text(series, name, np, pd, warnings, values, missing, all_text=inferred == "string")
    if inferred == "boolean":
        flags = np.zeros(rows, dtype=np.uint8)
        flags[~missing] = present.astype(bool)
        return result("b", flags.tobytes(), missing)
    if inferred == "integer":
        for kind, numpy_type in (("i", "<i8"), ("u", "<u8")):
            try:
                ints = np.zeros(rows, dtype=numpy_type)
                ints[~missing] = present.astype(numpy_type)
                return result(kind, ints.tobytes(), missing)
            except (OverflowError, ValueError):
                continue
        return as_text("holds integers beyond 64 bits")
    if inferred in ("floating", "mixed-integer-float"):
        if inferred == "mixed-integer-float" and any(
            isinstance(v, int) and not -FLOAT_EXACT <= v <= FLOAT_EXACT for v in present.tolist()
        ):
            return as_text("mixes floats with integers that a float cannot hold exactly")
        floats = np.full(rows, np.nan, dtype="<f8")
        floats[~missing] = present.astype("<f8")
        return result("f", floats.tobytes(), None)
    if inferred == "decimal":
        return as_text("holds Decimal values (kept to every digit)")
    if inferred == "date":
        return encode_text(series, name, np, pd, warnings, values, missing, extra={"as": "date"})
    if inferred == "time":
        times = present.tolist()
        if any(t.tzinfo is not None for t in times):
            return as_text("holds times of day with a time zone")
        nanos = np.zeros(rows, dtype="<i8")
        nanos[~missing] = [((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000_000 + t.microsecond * 1000 for t in times]
        return result("T", nanos.tobytes(), missing)
    if inferred in ("datetime", "datetime64"):
        try:
            stamps = pd.DatetimeIndex(present)
        except Exception:
            return as_text("holds datetimes that do not share one time zone or lie outside pandas' datetime64[ns] range")
        nanos = np.full(rows, INT64_MIN, dtype="<i8")
        nanos[~missing] = stamps.asi8
        if stamps.tz is None:
            return result("t", nanos.tobytes(), missing)
        zone = zone_name(stamps.tz)
        if zone is None:
            return as_text(f"has a time zone ({stamps.tz}) without a name or fixed offset")
        return result("z", nanos.tobytes(), missing, tz=zone)
    if inferred == "timedelta":
        try:
            spans = pd.TimedeltaIndex(present)
        except Exception:
            return as_text("holds durations outside pandas' timedelta64[ns] range")
        nanos = np.full(rows, INT64_MIN, dtype="<i8")
        nanos[~missing] = spans.asi8
        return result("d", nanos.tobytes(), missing)
    return as_text(f"holds Python objects ({type_names(present)})")


def text_of(value):
    if type(value) is str:
        return value
    try:
        return str(value)
    except Exception:
        return "<unprintable>"


def encode_text(series, name, np, pd, warnings, values=None, missing=None, all_text=False, extra=None):
    """Text, NUL-separated; missing values are empty and marked in the validity part."""
    if values is None:
        values = series.to_numpy(dtype=object)
        missing = pd.isna(values)
    if all_text:
        # Every present value is already a str: no per-value Python call.
        if missing.any():
            values = values.copy()
            values[missing] = ""
        texts = values.tolist()
    else:
        texts = ["" if gone else text_of(value) for value, gone in zip(values.tolist(), missing.tolist())]
    joined = SEPARATOR.join(texts)
    if joined.count(SEPARATOR) != max(len(texts) - 1, 0):
        warnings.append(f"Column {shown(name)} holds NUL characters; each was replaced by U+FFFD.")
        joined = SEPARATOR.join(text.replace(SEPARATOR, "\ufffd") for text in texts)
    try:
        data = joined.encode("utf-8")
    except UnicodeEncodeError:
        warnings.append(f"Column {shown(name)} holds unpaired surrogate characters; each was replaced by '?'.")
        data = joined.encode("utf-8", "replace")
    return {"kind": "s", "data": data, "missing": missing, "dtype": str(series.dtype), **(extra or {})}
