import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  csvColumns,
  ExcelJob,
  PandasAnswer,
  pandasReadExcel,
} from '../../../test/support/pandas-oracle';
import { cell, oneSheet, row, text } from '../../../test/support/xlsx-builder';
import { readWorkbook } from './workbook-reader';
import { XlsxParseReply } from './xlsx-parse.messages';

/** cellXfs used below: s=1 a date (14), s=2 a time (21), s=3 a duration ([h]:mm:ss). */
const STYLES = { numFmts: [[164, '[h]:mm:ss']] as [number, string][], cellXfs: [0, 14, 21, 164] };

type Spec = [value: string | number, t?: string, s?: number] | null;
const n = (v: string | number): Spec => [v];
const b = (v: 0 | 1): Spec => [v, 'b'];
const date = (serial: number): Spec => [serial, undefined, 1];
const time = (serial: number): Spec => [serial, undefined, 2];
const iso = (v: string): Spec => [v, 'd'];
const str = (v: string): Spec => [v, 'str'];
const ERR: Spec = ['#N/A', 'e'];

/**
 * One column 'h' of these cells under the header (null: no cell), beside a column 'k' of
 * ones so that every row exists. Each is compared with pandas.read_excel on the same file.
 */
const COLUMNS: Record<string, Spec[]> = {
  'bools with a blank (float64)': [b(1), null, b(0)],
  'bools and ints (int64)': [b(1), n(2)],
  'ints and text (object)': [n(1), str('a')],
  'numeric text (int64)': [str('1'), str('2')],
  'NA text among ints': [str('NA'), n(1)],
  'TRUE/false text (bool)': [str('TRUE'), str('false')],
  'bool, blank and true text (object bool)': [b(1), null, str('true')],
  'a date and ISO text (datetime64)': [date(43831), str('2020-01-02')],
  'a date and words (object)': [date(43831), str('abc')],
  '9999-12-31 (object)': [date(2958465), null, date(45000)],
  uint64: [n('12345678901234567890')],
  'beyond uint64 (float64)': [n('123456789012345678901234')],
  'uint64 and negative (object)': [n(-1), n('12345678901234567890')],
  'uint64 and blank (object, blank kept as text)': [n('12345678901234567890'), null, n(5)],
  'error cells (float64)': [ERR, n(1)],
  'integral floats (int)': [n('1.0'), n('2.5')],
  'exponent (int)': [n('1E3')],
  'times and blank (object time)': [time(0.5), null, time(0.25)],
  'ISO durations (timedelta64)': [iso('PT1H'), null, iso('PT2H30M1.5S')],
  'ISO dates only (object date)': [iso('2024-01-02'), iso('2024-01-03')],
  'ints and blank (float64)': [n(1), null, n(2)],
  'padded numeric text': [str(' 1 '), str('2')],
  'exponent text': [str('1e3'), str('2')],
  'inf text': [str('inf'), str('-Infinity')],
  'nan text': [str('nan'), str('2')],
  'underscore, hex, commas (object)': [str('1_000'), str('0x10'), str('1,000')],
  'signs and dots': [str('+5'), str('.5'), str('5.')],
  'bool and float (float64)': [b(1), n(2.5)],
  'text "True" and blank (object bool)': [str('True'), null, str('False')],
  'date and timedelta (object)': [date(43831), iso('PT1H')],
  'time and date (object)': [time(0.5), date(43831)],
  'datetime and ISO date (datetime64)': [date(43831.5), iso('2024-01-02')],
  '1900 leap-year bug': [date(1), date(60), date(61), date(0.999999999), date(59.5)],
  'dates before 1900': [date(-1), date(1)],
  'int64 max': [n('9223372036854775807'), n(1)],
  'below int64 min (float64)': [n('-9223372036854775809'), n(1)],
  'big numeric text (uint64)': [str('12345678901234567890'), str('1')],
  'huge numeric text (object)': [str('123456789012345678901234567890'), str('1')],
  'long mantissas (pandas rounding)': [str('51750.1736392818365009963'), str('0.1')],
  'float overflow text (object)': [str('1.5e300'), str('1e400')],
  'date beyond Python (NaN)': [date(99999999), date(43831)],
  'sub-millisecond serials': [date(43831.123456789), date(43831.0000000001)],
  'ISO fractions and zones': [iso('2024-03-18T09:30:00.57'), iso('2024-03-18T09:30:00.123Z')],
  'ISO date with a space (date only)': [iso('2024-03-18 09:30:00'), iso('2024-03-19')],
  'ISO bare times (object time)': [iso('13:45:30'), iso('08:00')],
  'negative zero': [n('-0.0'), n('1.5')],
  'big and tiny floats': [n('1e20'), n('1e-20'), n('1.5')],
  'numeric text and float': [str('5'), n(2.5)],
  'bool and error (float64)': [b(1), ERR],
  'unknown cell type (text)': [['abc', 'x']],
  'b="2" (bool)': [
    ['2', 'b'],
    ['0', 'b'],
  ],
  'mixed datetime kinds after three strings': [
    date(43831),
    str('2020-01-01'),
    str('x'),
    str('y'),
    str('z'),
  ],
};

function columnBook(cells: Spec[], date1904 = false): Buffer {
  const rows = [row(1, text('A1', 'h'), text('B1', 'k'))];
  cells.forEach((spec, i) => {
    const r = i + 2;
    const other = cell(`B${r}`, 1);
    if (spec === null) rows.push(row(r, other));
    else rows.push(row(r, cell(`A${r}`, spec[0], { t: spec[1], s: spec[2] }), other));
  });
  return oneSheet(rows, { ...STYLES, date1904 });
}

/** Workbooks whose shape, not one column, is the point. */
const BOOKS: Record<string, () => Buffer> = {
  '1904 date system': () => columnBook([date(0), date(1), date(43831.25)], true),
  'cells out of order (the last cell sets the width)': () =>
    oneSheet([
      row(1, text('A1', 'a'), text('B1', 'b'), text('C1', 'c')),
      row(2, cell('C2', 3), cell('A2', 1)),
      row(3, cell('B3', 2)),
    ]),
  'rows and cells without references': () =>
    oneSheet([
      row(null, text(null, 'a'), text(null, 'b')),
      row(null, cell(null, 1), cell(null, 2)),
      row(5, cell(null, 7)),
    ]),
  'a row number going back (dropped)': () =>
    oneSheet([
      row(1, text('A1', 'a')),
      row(3, cell('A3', 3)),
      row(2, cell('A2', 2)),
      row(4, cell('A4', 4)),
    ]),
  'blank rows kept, trailing ones dropped': () =>
    oneSheet(
      [
        row(1, text('A1', 'a'), text('B1', 'b')),
        row(2, cell('A2', 1), text('B2', 'x')),
        row(5, cell('A5', 5), text('B5', 'y')),
        row(6),
        row(7, cell('A7', undefined, { s: 1 })),
      ],
      { cellXfs: [0, 14] },
    ),
  'data starting at C3 (empty header row, empty first column)': () =>
    oneSheet([row(3, text('B3', 'name'), text('C3', 'v')), row(4, text('B4', 'a'), cell('C4', 1))]),
  'duplicate and blank names': () =>
    oneSheet([
      row(
        1,
        text('A1', 'a'),
        text('B1', 'a'),
        text('D1', 'a.1'),
        cell('E1', '', { t: 'str' }),
        text('F1', 'Unnamed: 2'),
      ),
      row(2, ...'ABCDEFG'.split('').map((c) => cell(`${c}2`, 1))),
    ]),
  'numbers and dates as names': () =>
    oneSheet(
      [
        row(
          1,
          cell('A1', 2019),
          cell('B1', 2020.5),
          cell('C1', 43831, { s: 1 }),
          cell('D1', 1, { t: 'b' }),
        ),
        row(2, cell('A2', 1), cell('B2', 2), cell('C2', 3), cell('D2', 4)),
      ],
      { cellXfs: [0, 14] },
    ),
  'byte-order mark before the first name': () =>
    oneSheet([
      row(1, text('A1', '\ufeff"q"x'), text('B1', 'b')),
      row(2, cell('A2', 1), cell('B2', 2)),
    ]),
  'inline strings, rich text, entities, CDATA, line ends': () =>
    oneSheet([
      row(
        1,
        cell('A1', undefined, {
          t: 'inlineStr',
          inner:
            '<is><t>he</t><r><t>ad</t></r><r><rPr><b/></rPr><t xml:space="preserve"> er</t></r><rPh sb="0" eb="1"><t>XX</t></rPh></is>',
        }),
        cell('B1', undefined, { t: 'inlineStr', inner: '<is><r><t>b</t></r></is>' }),
      ),
      row(
        2,
        cell('A2', undefined, {
          t: 'inlineStr',
          inner: '<is><t>a&amp;b&#10;c&lt;&#x263A;</t></is>',
        }),
        cell('B2', undefined, { t: 'inlineStr', inner: '<is><t><![CDATA[x<y]]></t></is>' }),
      ),
      row(
        3,
        cell('A3', undefined, { t: 'inlineStr', inner: '<is><t>line1\r\nline2\rline3</t></is>' }),
        cell('B3', undefined, { t: 'inlineStr', inner: '<is></is>' }),
      ),
      row(4, cell('A4', undefined, { t: 'inlineStr' }), cell('B4', 5, { t: 'inlineStr' })),
    ]),
  'shared strings: rich, phonetic, x005F_, negative index': () =>
    oneSheet(
      [
        row(1, cell('A1', 0, { t: 's' }), cell('B1', 1, { t: 's' })),
        row(2, cell('A2', 2, { t: 's' }), cell('B2', 3, { t: 's' })),
        row(3, cell('A3', -1, { t: 's' }), cell('B3', 4, { t: 's' })),
      ],
      {
        sharedStrings: [
          '<t>x</t>',
          '<r><t>ri</t></r><r><t>ch</t></r>',
          '<t>a_x005F_x000D_b</t><rPh sb="0" eb="1"><t>zz</t></rPh>',
          '<t></t>',
          '<t xml:space="preserve">  sp  </t>',
          '<t>NA</t>',
        ],
      },
    ),
  'formulas: cached values only': () =>
    oneSheet([
      row(1, text('A1', 'a'), text('B1', 'b')),
      row(
        2,
        cell('A2', undefined, { inner: '<f>1+1</f><v>2</v>' }),
        cell('B2', undefined, { t: 'str', inner: '<f>"x"</f><v>x</v>' }),
      ),
      row(
        3,
        cell('A3', undefined, { inner: '<f>1+1</f>' }),
        cell('B3', undefined, { t: 'e', inner: '<f>1/0</f><v>#DIV/0!</v>' }),
      ),
    ]),
  'whitespace-only text': () =>
    oneSheet([
      row(1, text('A1', 'a'), text('B1', 'b')),
      row(2, text('A2', ' '), text('B2', '\t')),
      row(3, text('A3', 'x')),
    ]),
  'header row only': () => oneSheet([row(1, text('A1', 'a'), text('B1', 'b'))]),
  'a wrong <dimension>': () =>
    oneSheet([
      row(1, text('A1', 'a'), text('B1', 'b')),
      row(2, cell('A2', 1), cell('B2', 2)),
      row(3, cell('A3', 3), cell('B3', 4)),
    ]),
};

describe('readWorkbook agrees with pandas.read_excel', () => {
  let dir: string;
  const files: [string, string][] = [];
  const answers = new Map<string, { pandas: PandasAnswer; ours: XlsxParseReply; csv: string }>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xlsx-reader-'));
    const books: [string, Buffer][] = [
      ...Object.entries(COLUMNS).map(([name, cells]): [string, Buffer] => [
        name,
        columnBook(cells),
      ]),
      ...Object.entries(BOOKS).map(([name, make]): [string, Buffer] => [name, make()]),
    ];
    const jobs: ExcelJob[] = [];
    books.forEach(([name, content], i) => {
      const path = join(dir, `book-${i}.xlsx`);
      writeFileSync(path, content);
      files.push([name, path]);
      jobs.push({ path, header: true }, { path, header: false });
    });
    const pandas = pandasReadExcel(jobs);
    for (let i = 0; i < jobs.length; i++) {
      const csv = join(dir, `out-${i}.csv`);
      const ours = await readWorkbook({
        filePath: jobs[i].path,
        csvPath: csv,
        header: jobs[i].header ?? true,
        maxTableBytes: 1 << 30,
        maxSharedStringsBytes: 1 << 30,
      });
      answers.set(`${jobs[i].path}:${String(jobs[i].header)}`, { pandas: pandas[i], ours, csv });
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const names = [...Object.keys(COLUMNS), ...Object.keys(BOOKS)];
  describe.each([true, false])('header=%s', (header) => {
    it.each(names)('%s', (name) => {
      const path = files.find(([n]) => n === name)?.[1] ?? '';
      const { pandas, ours, csv } = answers.get(`${path}:${String(header)}`)!;
      if ('error' in pandas) throw new Error(`pandas failed: ${pandas.error}`);
      expect(ours.kind).toBe('parsed');
      if (ours.kind !== 'parsed') return;
      const columns = header ? pandas.columns : pandas.columns.map((_, i) => `column_${i + 1}`);
      expect(ours.columns.map((c) => c.name)).toEqual(columns);
      expect(ours.columns.map((c) => c.dtype)).toEqual(pandas.dtypes);
      expect(ours.rowCount).toBe(pandas.rows);
      const values = csvColumns(
        csv,
        ours.columns.map((c) => c.store),
        ours.rowCount,
      );
      // A column pandas keeps as Python objects of several types arrives as their str().
      expect(values).toEqual(pandas.values);
    });
  });

  it('says where a column cannot hold what pandas would', () => {
    const reply = (name: string) => {
      const path = files.find(([n]) => n === name)?.[1] ?? '';
      return answers.get(`${path}:true`)!.ours as Extract<XlsxParseReply, { kind: 'parsed' }>;
    };
    expect(reply('9999-12-31 (object)').warnings).toEqual([
      expect.stringMatching(/'h' holds dates outside .*datetime64\[ns\].*9999-12-31 00:00:00/),
    ]);
    expect(reply('ints and text (object)').warnings).toEqual([
      expect.stringMatching(/'h' holds values of several types \(int, str\).*arrive as text/),
    ]);
    expect(reply('uint64 and negative (object)').warnings).toEqual([
      expect.stringMatching(/'h' holds integers beyond the int64 range/),
    ]);
    expect(reply('date beyond Python (NaN)').warnings).toEqual([
      expect.stringMatching(/1 cell\(s\) formatted as dates \(the first is A2\).*missing/),
    ]);
    expect(reply('numbers and dates as names').warnings).toEqual([
      expect.stringMatching(/first row.*2019, 2020\.5, 2020-01-01 00:00:00.*header=false/),
    ]);
    expect(reply('numeric text (int64)').warnings).toEqual([]);
  });
});
