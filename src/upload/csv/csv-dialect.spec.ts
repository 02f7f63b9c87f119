import { analyseHead, firstTooWideRecord } from './csv-dialect';

describe('analyseHead', () => {
  it.each([
    ['a,b,c\n1,2,3\n4,5,6\n', ','],
    ['a;b;c\n1,5;2;3\n4;5,5;6\n', ';'],
    ['a\tb\n1\t2\n', '\t'],
    ['a|b|c\n1|2|3\n', '|'],
    ['name,comment\n"x; y",ok\n"p; q",fine\n', ','],
  ])('finds the delimiter of %j', (text, delimiter) => {
    expect(analyseHead(text).delimiter).toBe(delimiter);
  });

  it('keeps the header record as written, duplicates and blanks included', () => {
    expect(analyseHead('id,,id\n1,2,3\n').records[0]).toEqual(['id', '', 'id']);
  });
});

describe('firstTooWideRecord', () => {
  it('finds the first row longer than the header, with its line', () => {
    const head = analyseHead('# a note\nid,name\n1,"x\ny"\n2,z\n');
    expect(firstTooWideRecord(head)).toEqual({ line: 2, fields: 2, expected: 1 });
    expect(firstTooWideRecord(analyseHead('id,name\n1,"x\ny",3\n'))).toEqual({
      line: 2,
      fields: 3,
      expected: 2,
    });
  });
});
