import { shown, uniqueNames } from './output-store.service';

describe('uniqueNames (output column names)', () => {
  it('keeps every name exactly, whatever it holds', () => {
    const names = [
      'region',
      ' total ',
      'Ünïcode',
      'a"b',
      '',
      'a\u0000b\nc',
      '__proto__',
      'x'.repeat(1000),
    ];
    expect(uniqueNames(names)).toEqual({ names, renamed: [] });
  });

  it('keeps names that differ only by case', () => {
    expect(uniqueNames(['a', 'A']).names).toEqual(['a', 'A']);
  });

  it.each([
    // What pandas 1.5.3 read_csv names each header (checked against pandas itself).
    [
      ['a', 'a', 'a.1', 'a'],
      ['a', 'a.2', 'a.1', 'a.3'],
    ],
    [
      ['a', 'a.1', 'a', 'a'],
      ['a', 'a.1', 'a.2', 'a.3'],
    ],
    [
      ['b', 'b', 'b', 'b.1', 'b.2'],
      ['b', 'b.3', 'b.4', 'b.1', 'b.2'],
    ],
    [
      ['x', 'X', 'x'],
      ['x', 'X', 'x.1'],
    ],
    [
      ['a.1', 'a', 'a'],
      ['a.1', 'a', 'a.2'],
    ],
    [
      ['', ''],
      ['', '.1'],
    ],
  ])('renames duplicates as pandas read_csv does: %j', (names, expected) => {
    const { names: out, renamed } = uniqueNames(names);
    expect(out).toEqual(expected);
    expect(renamed).toEqual(names.map((n, i) => [n, expected[i]]).filter(([n, e]) => n !== e));
  });
});

describe('shown (a name in a warning)', () => {
  it('quotes and cuts', () => {
    expect(shown("it's")).toBe("'it\\'s'");
    expect(shown('x'.repeat(100))).toBe(`'${'x'.repeat(59)}…'`);
  });
});
