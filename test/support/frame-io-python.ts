/**
 * The sandbox's side of the frame format (src/table-transfer/python/frame_io.py), run by
 * the sandbox's Python for the frame specs: what read_input builds from an input frame file,
 * and the frame encode_output writes for a DataFrame.
 */

import { execFileSync } from 'node:child_process';
import {
  decodeFrame,
  DecodedFrame,
  FRAME_IO_PYTHON_DIR,
  FrameLimits,
} from '../../src/table-transfer/frame';
import { PYTHON } from './pandas-oracle';

function python(script: string, ...args: string[]): Buffer {
  return execFileSync(PYTHON, ['-c', script, ...args], {
    cwd: FRAME_IO_PYTHON_DIR,
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** The DataFrame read_input built: per column, repr() of each value (null for None). */
export interface ReadInput {
  columns: string[];
  dtypes: string[];
  values: (string | null)[][];
}

/** Runs frame_io.read_input on the input frame at `file`. */
export function readInputInPython(file: string): ReadInput {
  const script = `import json, sys
import numpy as np, pandas as pd
from frame_io import read_input
df = read_input(sys.argv[1], np, pd)
print(json.dumps({
    "columns": [str(c) for c in df.columns],
    "dtypes": [str(t) for t in df.dtypes],
    "values": [[None if v is None else repr(v) for v in df.iloc[:, j].tolist()] for j in range(df.shape[1])],
}))`;
  return JSON.parse(python(script, file).toString('utf8')) as ReadInput;
}

/**
 * Runs `code` (Python, with `np` and `pd` imported), which sets `out` to a DataFrame, and
 * returns what frame_io.encode_output sent for it: a JSON header line, then the frame body.
 */
export function encodeOutputInPython(code: string): Buffer {
  const script = `import json, sys
import numpy as np, pandas as pd
from frame_io import encode_output
namespace = {"np": np, "pd": pd}
exec(sys.argv[1], namespace)
out = namespace["out"]
columns, body, warnings = encode_output(out, np, pd)
sys.stdout.buffer.write((json.dumps({"rows": len(out), "columns": columns, "warnings": warnings}) + "\\n").encode())
for part in body:
    sys.stdout.buffer.write(part)`;
  return python(script, code);
}

/** Decodes bytes as encodeOutputInPython returns them (as the server reads the runner's). */
export function decodeOutput(raw: Buffer, limits: FrameLimits): DecodedFrame {
  const newline = raw.indexOf(0x0a);
  return decodeFrame(
    JSON.parse(raw.subarray(0, newline).toString('utf8')),
    raw.subarray(newline + 1),
    limits,
  );
}
