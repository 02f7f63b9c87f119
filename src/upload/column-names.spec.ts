import { execFileSync } from 'node:child_process';
import { makeUniqueColumnNames } from './column-names';

/** The column names pandas 1.5.3 (the sandbox's) gives a CSV whose header row is `header`. */
function pandasNames(headers: string[][]): string[][] {
  const script = [
    'import csv, io, json, sys',
    'import pandas as pd',
    'out = []',
    'for header in json.load(sys.stdin):',
    '    buf = io.StringIO()',
    '    csv.writer(buf).writerow(header)',
    '    buf.write(",".join("1" for _ in header) + "\\n")',
    '    buf.seek(0)',
    '    out.append([str(c) for c in pd.read_csv(buf).columns])',
    'print(json.dumps(out))',
  ].join('\n');
  const stdout = execFileSync('/usr/bin/python3', ['-c', script], {
    input: JSON.stringify(headers),
  });
  return JSON.parse(stdout.toString()) as string[][];
}

describe('makeUniqueColumnNames', () => {
  const headers = [
    ['a', 'a', 'a', 'a.1', 'a.2'],
    ['', '', 'Unnamed: 1'],
    ['Unnamed: 0', '', 'x'],
    ['a', '', 'a', ''],
    ['A', 'a', 'a'],
    [' a ', 'a', '\ta', 'a\u200bb'],
    ['rowid', '__proto__', 'constructor', '__proto__'],
    ['2022', '2023', '2022'],
    ['x.1', 'x', 'x', 'x'],
  ];

  it('names columns exactly as pandas.read_csv does', () => {
    const expected = pandasNames(headers);
    headers.forEach((header, i) => {
      expect(makeUniqueColumnNames(header.map((h) => (h === '' ? null : h))).names).toEqual(
        expected[i],
      );
    });
  });

  it('reports renames keyed by the original text, positions telling repeats apart', () => {
    const { renamed } = makeUniqueColumnNames(['id', null, 'id', null]);
    expect({ ...renamed }).toEqual({
      '': 'Unnamed: 1',
      ' (column 4)': 'Unnamed: 3',
      id: 'id.1',
    });
    expect(Object.getPrototypeOf(renamed)).toBeNull();
  });

  it('names the columns of a file without a header column_1..n and reports nothing', () => {
    const { names, renamed } = makeUniqueColumnNames([null, null], false);
    expect(names).toEqual(['column_1', 'column_2']);
    expect(Object.keys(renamed)).toEqual([]);
  });
});
