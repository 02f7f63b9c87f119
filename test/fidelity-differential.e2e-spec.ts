/**
 * Differential test (issue 7, "How we will know"): for every CSV and XLSX in test/fixtures/corpus
 * and test/fixtures/cases, what `transform(df)` sees (read back through a job running
 * test/support/frame_snapshot.py) must equal what /usr/bin/python3 pandas 1.5.3 gives for the
 * same file (`read_csv` defaults; `read_excel(sheet_name=0)` with openpyxl), column by column and
 * value by value: labels, dtypes and every value with its Python type. The only differences
 * allowed are in INTENDED below, each with its reason.
 *
 * One app boot; files go through upload -> snapshot job -> JSON download a few at a time while
 * the oracle reads them all in one Python process. Each file is one test, failing with the list
 * of what differs. The whole report (faults grouped by kind, intended differences, timings) is
 * written to FIDELITY_REPORT (default: <tmpdir>/fidelity-differential-report.txt).
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  ColumnSnapshot,
  datetimeSpellings,
  filesUnder,
  FrameSnapshot,
  inPool,
  OracleRequest,
  outsideNanosecondRange,
  Reading,
  runOracle,
  sameTag,
  Tag,
  tagText,
  uploadAndSnapshot,
  UploadOutcome,
  valueFaultKind,
} from './support/fidelity';
import { FIXTURES_DIR, startTestApp, TestApp } from './support/test-app';

// ---------------------------------------------------------------- the intended differences

type Rule =
  | 'delimiter sniffed'
  | 'datetime detected'
  | 'labels are text'
  | 'times as text'
  | 'floats parsed exactly'
  | 'out-of-range datetimes as text'
  | 'mixed columns as text';

type Intended =
  /** Read as pandas reads with these keyword arguments, instead of its defaults. */
  | {
      kind: 'pandas options';
      reason: string;
      files: Record<string, Record<string, unknown>>;
      /** `warnings` must say what was done. */
      warning?: RegExp;
    }
  /** Refused with a 4xx and a `detail`. */
  | { kind: 'refused'; reason: string; files: string[] }
  /** A kind of difference allowed in any file. */
  | { kind: 'rule'; rule: Rule; reason: string };

/** Everything in which the upload may differ from pandas, in one place, with the reason. */
const INTENDED: Intended[] = [
  {
    kind: 'pandas options',
    reason:
      'encoding detected: pandas (utf-8) raises UnicodeDecodeError on single-byte code-page files',
    files: {
      'corpus/frictionless/data/latin1.csv': { encoding: 'latin-1' },
      'corpus/frictionless/data/table-with-accents.csv': { encoding: 'latin-1' },
      'corpus/frictionless/data/issue-811.csv': { encoding: 'cp1252' },
      'corpus/frictionless/data/table-infer-iso-8859-7.csv': { encoding: 'iso-8859-7' },
    },
    warning: /encod|latin|8859|125\d|greek/i,
  },
  {
    kind: 'pandas options',
    reason:
      'a stray undecodable byte in a UTF-8 file is replaced (U+FFFD), the rest read as UTF-8: ' +
      'pandas raises UnicodeDecodeError',
    files: { 'cases/06-mixed-utf8-latin1/station_log.csv': { encoding_errors: 'replace' } },
    warning: /line|byte|replac/i,
  },
  {
    kind: 'pandas options',
    reason:
      "Excel's `sep=` first line is honoured and dropped: pandas takes it for the header " +
      '(or raises)',
    files: {
      'cases/07-excel-sep-line/parts_sep_comma.csv': { skiprows: 1 },
      'cases/07-excel-sep-line/scores_sep_comma_2cols.csv': { skiprows: 1 },
      'cases/07-excel-sep-line/parts_sep_semicolon.csv': { skiprows: 1, sep: ';' },
      'cases/07-excel-sep-line/scores_sep_pipe.csv': { skiprows: 1, sep: '|' },
    },
    warning: /sep=/i,
  },
  {
    kind: 'pandas options',
    reason:
      'a quote after the delimiter and spaces opens a quoted value (DuckDB reads it so; pandas ' +
      'keeps the quotes as text unless skipinitialspace=True)',
    files: { 'corpus/frictionless/data/issue-1109.csv': { skipinitialspace: true } },
  },
  {
    kind: 'refused',
    reason:
      'a quoted value that is never closed, or a quote inside an unquoted value followed by ' +
      'the delimiter: refused naming the line (pandas reads on and folds the following lines ' +
      'into that value)',
    files: ['corpus/frictionless/data/escaping.csv', 'corpus/frictionless/data/issue-1066.csv'],
  },
  {
    kind: 'refused',
    reason: 'no header and no data: pandas raises EmptyDataError',
    files: ['corpus/frictionless/data/empty.csv'],
  },
  {
    kind: 'refused',
    reason:
      "a row with more fields than the header: pandas raises ParserError 'Expected N fields " +
      "in line M, saw K' (rows with fewer fields are padded, as pandas does)",
    files: [
      'corpus/frictionless/data/capital-invalid.csv',
      'corpus/frictionless/data/countries.csv',
      'corpus/frictionless/data/defective-rows.csv',
      'corpus/frictionless/data/dialect.csv',
      'corpus/frictionless/data/invalid.csv',
      'corpus/frictionless/data/issue-1004-data1.csv',
      'corpus/frictionless/data/issue-1004-data2.csv',
      'corpus/frictionless/data/schema-errors.csv',
      'corpus/frictionless/data/structure-errors.csv',
      'corpus/frictionless/data/without-headers-extra.csv',
    ],
  },
  {
    kind: 'refused',
    reason: 'not a readable workbook (no workbook relationships, or no worksheet): openpyxl raises',
    files: [
      'corpus/xlsx-quirks/testdocs/badfile_noWorkbookRels.xlsx',
      'corpus/xlsx-quirks/testdocs/badfile_noWorksheets.xlsx',
    ],
  },
  {
    kind: 'rule',
    rule: 'delimiter sniffed',
    reason:
      "the delimiter is detected (';', tab, '|'): pandas' default sep=',' gives one column " +
      '(or raises) on such files; compared with pandas given that sep',
  },
  {
    kind: 'rule',
    rule: 'datetime detected',
    reason:
      'a column whose every present value is a date or timestamp inside datetime64[ns] range ' +
      'arrives as datetime64 (pandas: object text); compared with pd.to_datetime of that text',
  },
  {
    kind: 'rule',
    rule: 'labels are text',
    reason: 'column labels are always text (read_excel keeps header numbers and dates as labels)',
  },
  {
    kind: 'rule',
    rule: 'floats parsed exactly',
    reason:
      "decimal text is parsed to the nearest float (as float_precision='round_trip'); pandas' " +
      'default parser can be one ulp off on 17-digit text (10.540999999999999 -> 10.541)',
  },
  {
    kind: 'refused',
    reason:
      'rows longer than the header (the first line is a comment): pandas silently moves the ' +
      "extra leading fields into the index, out of transform's columns; refused naming the " +
      'line, as for any row longer than the header',
    files: [
      'corpus/frictionless/data/country-2.csv',
      'corpus/frictionless/data/matrix-with-comment.csv',
      'corpus/frictionless/data/skip-rows.csv',
      'corpus/frictionless/data/skip-rows-before-headers.csv',
    ],
  },
  {
    kind: 'refused',
    reason:
      'the first sheet has no cells: pandas gives a frame with no columns, which no transform ' +
      'can use; refused naming the sheets (the `sheet` field loads another)',
    files: [
      'corpus/frictionless/data/sheet2.xlsx',
      'corpus/xlsx-quirks/testdocs/color_stylesheet.xlsx',
      'corpus/xlsx-quirks/testdocs/testFileToSlice.xlsx',
    ],
  },
  {
    kind: 'rule',
    rule: 'times as text',
    reason: 'time-of-day cells arrive as ISO text (pandas: datetime.time objects)',
  },
  {
    kind: 'rule',
    rule: 'mixed columns as text',
    reason:
      'an XLSX column mixing kinds of cell (numbers, text, booleans, dates) arrives as the ' +
      "text of each value (str()); pandas keeps each cell's Python object in an object column, " +
      'which the column store cannot hold (a warning says so)',
  },
  {
    kind: 'rule',
    rule: 'out-of-range datetimes as text',
    reason:
      'the dates of a column that holds a date outside datetime64[ns] range stay text, never ' +
      'NaT (read_excel: datetime.datetime objects in an object column)',
  },
];

function ruleReason(rule: Rule): string | undefined {
  for (const entry of INTENDED)
    if (entry.kind === 'rule' && entry.rule === rule) return entry.reason;
  return undefined;
}

// ---------------------------------------------------------------- the files

const FILES = filesUnder(FIXTURES_DIR).filter((f) => /\.(csv|xlsx)$/i.test(f));
const kindOf = (file: string): 'csv' | 'xlsx' => (/\.xlsx$/i.test(file) ? 'xlsx' : 'csv');

interface Plan {
  options: Record<string, unknown>;
  reasons: string[];
  warnings: RegExp[];
  refused?: string;
}

function planFor(file: string): Plan {
  const plan: Plan = { options: {}, reasons: [], warnings: [] };
  for (const entry of INTENDED) {
    if (entry.kind === 'pandas options' && entry.files[file]) {
      Object.assign(plan.options, entry.files[file]);
      plan.reasons.push(entry.reason);
      if (entry.warning) plan.warnings.push(entry.warning);
    } else if (entry.kind === 'refused' && entry.files.includes(file)) {
      plan.refused = entry.reason;
    }
  }
  return plan;
}

/** The costliest first: wide files (per-column work) and then large ones. */
function byCostDescending(files: string[]): string[] {
  const cost = (file: string): number => {
    const path = join(FIXTURES_DIR, file);
    const head = kindOf(file) === 'csv' ? readFileSync(path).subarray(0, 1 << 20) : Buffer.alloc(0);
    const firstLine = head.subarray(0, Math.max(0, head.indexOf(10)));
    return statSync(path).size + 200 * firstLine.filter((byte) => byte === 44).length;
  };
  const costs = new Map(files.map((f) => [f, cost(f)]));
  return [...files].sort((a, b) => (costs.get(b) ?? 0) - (costs.get(a) ?? 0));
}

// ---------------------------------------------------------------- comparing

interface Finding {
  kind: string;
  text: string;
}

interface FileResult {
  file: string;
  outcome: UploadOutcome;
  faults: Finding[];
  intended: Finding[];
}

const EXAMPLES_PER_GROUP = 3;

function labelText(tag: Tag | undefined): string {
  return tag && tag[0] === 'str' ? JSON.stringify(tag[1]) : tagText(tag);
}

function compareFile(
  file: string,
  plan: Plan,
  outcome: UploadOutcome,
  oracle: Reading,
): FileResult {
  const faults: Finding[] = [];
  const intended: Finding[] = [];
  const fault = (kind: string, text: string): number => faults.push({ kind, text });
  const allowed = (kind: string, text: string): number => intended.push({ kind, text });
  const result = { file, outcome, faults, intended };
  const body = outcome.body;
  const detail = typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail);

  const pandasFailed = oracle.error !== undefined && !oracle.sniffed?.snapshot;
  if (plan.refused) {
    if (outcome.status >= 400 && outcome.status < 500 && typeof body.detail === 'string') {
      allowed('refused', `${outcome.status} "${detail}" (${plan.refused})`);
    } else {
      fault(
        'listed as refused, but not refused with a 4xx',
        `${outcome.status} ${outcome.status === 200 ? `${String(body.row_count)} rows, columns ${JSON.stringify(body.columns)}` : detail}; pandas: ${oracle.error ?? 'reads it'}`,
      );
    }
    return result;
  }
  if (pandasFailed) {
    fault(
      'pandas raises; not in INTENDED',
      `pandas: ${oracle.error}; ours: ${outcome.status} ${outcome.status === 200 ? `${String(body.row_count)} rows` : detail}`,
    );
    return result;
  }
  if (outcome.status !== 200) {
    fault(
      outcome.status >= 500 ? 'server error' : 'refused where pandas reads',
      `${outcome.status} ${detail}`,
    );
    return result;
  }
  if (!outcome.sandbox) {
    fault('snapshot job failed', outcome.jobError ?? 'no snapshot');
    return result;
  }
  const ours = outcome.sandbox;

  // Which pandas reading to compare with.
  let reading: Reading = oracle;
  const defaultColumns = oracle.snapshot?.columns.length ?? 0;
  if (
    oracle.sniffed &&
    (oracle.error !== undefined || (defaultColumns === 1 && ours.columns.length > 1))
  ) {
    if (!oracle.sniffed.snapshot) {
      fault(
        'pandas raises; not in INTENDED',
        `pandas with sep=${JSON.stringify(oracle.sniffed.sep)}: ${oracle.sniffed.error}`,
      );
      return result;
    }
    reading = oracle.sniffed;
    allowed(
      'delimiter sniffed',
      `sep=${JSON.stringify(oracle.sniffed.sep)}: ${ruleReason('delimiter sniffed')}`,
    );
  }
  const pandas = reading.snapshot as FrameSnapshot;
  for (const reason of plan.reasons)
    allowed('pandas options', `${JSON.stringify(plan.options)}: ${reason}`);

  // What the upload said.
  const warnings = body.warnings;
  if (!Array.isArray(warnings) || !warnings.every((w) => typeof w === 'string')) {
    fault('upload response', `warnings is not a string array: ${JSON.stringify(warnings)}`);
  } else {
    for (const wanted of plan.warnings) {
      if (!warnings.some((w: string) => wanted.test(w))) {
        fault(
          'warning missing',
          `no warning matches ${String(wanted)}; warnings: ${JSON.stringify(warnings)}`,
        );
      }
    }
  }
  checkResponseAgainstSandbox(body, ours, fault);

  // Shape. When the row counts differ, rows are paired at the offset that matches most values
  // (a header read as data shifts every row by one), and the unpaired rows are named here.
  const offset = ours.rows === pandas.rows ? 0 : bestOffset(ours, pandas);
  if (ours.rows !== pandas.rows) {
    fault(
      'row count',
      `ours ${ours.rows}, pandas ${pandas.rows}; ${unpairedRows(ours, pandas, offset)}`,
    );
  }
  if (ours.columns.length !== pandas.columns.length) {
    fault(
      'column count',
      `ours ${ours.columns.length} ${JSON.stringify(ours.columns.map((c) => labelText(c.label)))}, pandas ${pandas.columns.length} ${JSON.stringify(pandas.columns.map((c) => labelText(c.label)))}`,
    );
  }
  if (JSON.stringify(ours.index) !== JSON.stringify(['range', 0, ours.rows, 1])) {
    fault(
      'index',
      `ours ${JSON.stringify(ours.index).slice(0, 200)}, pandas ${JSON.stringify(pandas.index).slice(0, 200)}`,
    );
  }

  const width = Math.min(ours.columns.length, pandas.columns.length);
  for (let position = 0; position < width; position++) {
    compareColumn(
      position,
      ours.columns[position],
      pandas.columns[position],
      offset,
      reading,
      fault,
      allowed,
    );
  }
  return result;
}

const MAX_OFFSET = 3;

/** d such that our row r + d is pandas' row r, the one that pairs the most equal values. */
function bestOffset(ours: FrameSnapshot, pandas: FrameSnapshot): number {
  const width = Math.min(ours.columns.length, pandas.columns.length);
  let best = 0;
  let bestScore = -1;
  for (const d of [0, ...Array.from({ length: MAX_OFFSET }, (_, i) => [i + 1, -i - 1]).flat()]) {
    let score = 0;
    for (let c = 0; c < width; c++) {
      const a = ours.columns[c].values;
      const b = pandas.columns[c].values;
      for (let r = Math.max(0, -d); r < b.length && r + d < a.length; r++) {
        if (sameTag(a[r + d], b[r])) score++;
      }
    }
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

function rowName(row: number, offset: number): string {
  return offset === 0 ? `row ${row}` : `row ${row} (ours ${row + offset})`;
}

function firstCells(frame: FrameSnapshot, row: number): string {
  return frame.columns
    .slice(0, 4)
    .map((c) => tagText(c.values[row]).slice(0, 40))
    .join(', ');
}

/** The rows that have no partner at this offset, on either side (a few of them). */
function unpairedRows(ours: FrameSnapshot, pandas: FrameSnapshot, offset: number): string {
  const oursOnly: number[] = [];
  const pandasOnly: number[] = [];
  for (let r = 0; r < ours.rows; r++)
    if (r - offset < 0 || r - offset >= pandas.rows) oursOnly.push(r);
  for (let r = 0; r < pandas.rows; r++)
    if (r + offset < 0 || r + offset >= ours.rows) pandasOnly.push(r);
  const describe = (side: string, frame: FrameSnapshot, rows: number[]): string =>
    rows.length === 0
      ? ''
      : `only ${side} has ${rows.length} row(s), e.g. ${rows
          .slice(0, 3)
          .map((r) => `row ${r} [${firstCells(frame, r)}]`)
          .join('; ')}`;
  return [describe('ours', ours, oursOnly), describe('pandas', pandas, pandasOnly)]
    .filter(Boolean)
    .join('; ');
}

function checkResponseAgainstSandbox(
  body: Record<string, unknown>,
  ours: FrameSnapshot,
  fault: (kind: string, text: string) => number,
): void {
  const labels = ours.columns.map((c) =>
    c.label[0] === 'str' ? (c.label[1] as string) : tagText(c.label),
  );
  if (JSON.stringify(body.columns) !== JSON.stringify(labels)) {
    fault(
      'upload response',
      `columns ${JSON.stringify(body.columns)} but the sandbox sees ${JSON.stringify(labels)}`,
    );
  }
  if (body.row_count !== ours.rows) {
    fault(
      'upload response',
      `row_count ${String(body.row_count)} but the sandbox sees ${ours.rows} rows`,
    );
  }
  const dtypes = (body.dtypes ?? {}) as Record<string, unknown>;
  const wrong = ours.columns
    .map((c, i) => ({ label: labels[i], sandbox: c.dtype, reported: dtypes[labels[i]] }))
    .filter((d) => d.reported !== d.sandbox);
  if (wrong.length) {
    fault(
      'upload response',
      `dtypes say ${wrong.map((d) => `${JSON.stringify(d.label)}: ${String(d.reported)}`).join(', ')}; the sandbox sees ${wrong.map((d) => d.sandbox).join(', ')}`,
    );
  }
}

function compareColumn(
  position: number,
  ours: ColumnSnapshot,
  pandas: ColumnSnapshot,
  offset: number,
  reading: Reading,
  fault: (kind: string, text: string) => number,
  allowed: (kind: string, text: string) => number,
): void {
  const name = `column ${position} ${labelText(pandas.label)}`;
  // Label.
  if (!sameTag(ours.label, pandas.label)) {
    const ourText = ours.label[0] === 'str' ? (ours.label[1] as string) : undefined;
    const pandasText = reading.labels_as_text?.[position];
    if (ourText !== undefined && pandas.label[0] !== 'str' && ourText === pandasText) {
      allowed('labels are text', `${name}: ours ${labelText(ours.label)}`);
    } else {
      fault('column name', `${name}: ours ${labelText(ours.label)}`);
    }
  }
  // Dtype, and which pandas values to compare with.
  let expected = pandas.values;
  if (ours.dtype !== pandas.dtype) {
    const dates = reading.dates?.[String(position)];
    if (
      dates &&
      ours.dtype.startsWith('datetime64') &&
      pandas.dtype === 'object' &&
      ours.dtype === dates.dtype
    ) {
      expected = dates.values;
      allowed('datetime detected', `${name}: ours ${ours.dtype}`);
    } else {
      fault('dtype', `${name}: ours ${ours.dtype}, pandas ${pandas.dtype}`);
    }
  }
  // Values, grouped by kind of difference, a few examples each.
  const groups = new Map<string, { count: number; examples: string[] }>();
  const holdsOutOfRange = expected.some(
    (v) => v[0] === 'datetime' && outsideNanosecondRange(v[1] as string),
  );
  const rows = expected.length;
  for (let row = 0; row < rows; row++) {
    if (row + offset < 0 || row + offset >= ours.values.length) continue;
    const a = ours.values[row + offset];
    const b = expected[row];
    if (sameTag(a, b)) continue;
    const exact = reading.exact_floats?.[String(position)]?.[row];
    if (a?.[0] === 'float' && b?.[0] === 'float' && sameTag(a, exact)) {
      allowed('floats parsed exactly', `${name} row ${row}: ${tagText(a)}`);
      continue;
    }
    if (a?.[0] === 'str' && b?.[0] === 'time' && a[1] === b[1]) {
      allowed('times as text', `${name} row ${row}: ${tagText(a)}`);
      continue;
    }
    if (
      a?.[0] === 'str' &&
      b?.[0] === 'datetime' &&
      holdsOutOfRange &&
      datetimeSpellings(b[1] as string).includes(a[1] as string)
    ) {
      allowed('out-of-range datetimes as text', `${name} row ${row}: ${tagText(a)}`);
      continue;
    }
    if (
      a?.[0] === 'str' &&
      b !== undefined &&
      b !== null &&
      ['int', 'float', 'bool', 'datetime'].includes(b[0]) &&
      ours.dtype === 'object' &&
      pandas.dtype === 'object' &&
      pythonStrings(b).includes(a[1] as string)
    ) {
      allowed('mixed columns as text', `${name} row ${row}: ${tagText(a)}`);
      continue;
    }
    const kind = valueFaultKind(a, b);
    const group = groups.get(kind) ?? { count: 0, examples: [] };
    group.count++;
    if (group.examples.length < EXAMPLES_PER_GROUP) {
      group.examples.push(
        `${rowName(row, offset)}: ours ${tagText(a).slice(0, 120)} | pandas ${tagText(b).slice(0, 120)}`,
      );
    }
    groups.set(kind, group);
  }
  for (const [kind, group] of groups) {
    fault(kind, `${name}: ${group.count} of ${rows} rows differ; ${group.examples.join('; ')}`);
  }
}

/** What Python's str() may give for a tagged value (datetimes in each spelling). */
function pythonStrings(tagged: readonly unknown[]): string[] {
  const [tag, value] = tagged as [string, string];
  if (tag === 'bool') return [String(value) === 'true' ? 'True' : 'False'];
  if (tag === 'datetime') return datetimeSpellings(value);
  return [String(value)];
}

// ---------------------------------------------------------------- the report

function collapse(findings: Finding[]): string[] {
  // Intended differences repeat per value: one line per kind and text prefix is enough.
  const seen = new Map<string, number>();
  for (const f of findings) {
    const key = `[${f.kind}] ${f.text.replace(/ row \d+:.*$/, '')}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].map(([key, n]) => (n > 1 ? `${key} (${n} values)` : key));
}

function writeReport(results: FileResult[], totalMs: number): string {
  const path = process.env.FIDELITY_REPORT ?? join(tmpdir(), 'fidelity-differential-report.txt');
  const lines: string[] = [];
  const failing = results.filter((r) => r.faults.length);
  lines.push(
    `Differential test: ${results.length} files, ${failing.length} with faults, ${Math.round(totalMs / 1000)} s`,
    '',
    '== Faults by kind',
  );
  const byKind = new Map<string, string[]>();
  for (const r of results) {
    for (const f of r.faults)
      byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), `${r.file}: ${f.text}`]);
  }
  for (const [kind, entries] of [...byKind].sort((a, b) => b[1].length - a[1].length)) {
    lines.push('', `-- ${kind} (${entries.length})`, ...entries.map((e) => `  ${e}`));
  }
  lines.push('', '== Intended differences found', '');
  for (const r of results) {
    if (r.intended.length) lines.push(r.file, ...collapse(r.intended).map((l) => `  ${l}`));
  }
  lines.push('', '== Per file (status, ms)', '');
  for (const r of results) {
    lines.push(
      `${r.faults.length ? 'FAULT' : 'ok   '} ${r.outcome.status} upload ${r.outcome.uploadMs} ms, all ${r.outcome.ms} ms ${r.file}`,
    );
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

// ---------------------------------------------------------------- the test

describe('differential: what transform(df) sees equals what pandas reads', () => {
  let t: TestApp;
  const results = new Map<string, FileResult>();

  beforeAll(async () => {
    const started = Date.now();
    t = await startTestApp({
      // Every fixture is uploaded from one client in one window.
      RATE_LIMIT_UPLOAD_MAX: '1000',
      RATE_LIMIT_EXECUTE_MAX: '1000',
      MAX_SESSIONS_PER_CLIENT: '1000',
    });
    const plans = new Map(FILES.map((f) => [f, planFor(f)]));
    const requests: OracleRequest[] = FILES.map((file) => ({
      id: file,
      path: join(FIXTURES_DIR, file),
      kind: kindOf(file),
      options: plans.get(file)?.options,
      sniff: true,
    }));
    // Workbooks wait for the XLSX parse slots and CSVs for sandboxes: one pool each, so that
    // neither kind queues behind the other; the costliest files first in each.
    const outcomes = new Map<string, UploadOutcome>();
    const lane = (kind: 'csv' | 'xlsx', width: number): Promise<void> =>
      inPool(byCostDescending(FILES.filter((f) => kindOf(f) === kind)), width, async (file) => {
        const content = readFileSync(join(FIXTURES_DIR, file));
        outcomes.set(file, await uploadAndSnapshot(t, content, basename(file)));
      }).then(() => undefined);
    const [oracle] = await Promise.all([runOracle(requests), lane('csv', 4), lane('xlsx', 3)]);
    for (const file of FILES) {
      const outcome = outcomes.get(file) as UploadOutcome;
      results.set(file, compareFile(file, plans.get(file) as Plan, outcome, oracle[file]));
    }
    const path = writeReport([...results.values()], Date.now() - started);
    console.log(`fidelity differential report: ${path}`);
  }, 600_000);

  afterAll(async () => t?.close());

  it('covers the fixtures', () => {
    expect(FILES.filter((f) => f.startsWith('cases/')).length).toBeGreaterThanOrEqual(15);
    expect(FILES.filter((f) => f.startsWith('corpus/')).length).toBeGreaterThanOrEqual(150);
  });

  it('lists in INTENDED only files that exist', () => {
    const listed = INTENDED.flatMap((e) =>
      e.kind === 'pandas options' ? Object.keys(e.files) : e.kind === 'refused' ? e.files : [],
    );
    expect(listed.filter((f) => !FILES.includes(f))).toEqual([]);
  });

  it.each(FILES)('%s', (file) => {
    const result = results.get(file);
    expect(result).toBeDefined();
    expect((result as FileResult).faults.map((f) => `[${f.kind}] ${f.text}`)).toEqual([]);
  });
});
