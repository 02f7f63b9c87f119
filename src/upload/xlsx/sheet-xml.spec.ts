import { RawCell, SheetXmlError, SheetXmlReader } from './sheet-xml';

type Event = ['row', string | undefined] | ['cell', RawCell] | ['end'];

/** The events of a document fed in pieces of `size` characters (0: all at once). */
function read(xml: string, size = 0): Event[] {
  const events: Event[] = [];
  const reader = new SheetXmlReader({
    rowStart: (r) => events.push(['row', r]),
    cell: (c) => events.push(['cell', { ...c }]),
    rowEnd: () => events.push(['end']),
  });
  if (size === 0) reader.write(xml);
  else for (let i = 0; i < xml.length; i += size) reader.write(xml.slice(i, i + size));
  reader.end();
  return events;
}

const sheet = (rows: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\r\n<x:worksheet xmlns:x="urn:main"><!-- made by hand -->` +
  `<x:sheetData>${rows}</x:sheetData></x:worksheet>`;

const cell = (c: Partial<RawCell>): RawCell => ({
  ref: undefined,
  type: undefined,
  style: undefined,
  value: undefined,
  inline: undefined,
  ...c,
});

describe('SheetXmlReader', () => {
  const xml = sheet(
    '<x:row r="1" spans="1:3"><x:c r="A1" s="2" t="s"><x:v>0</x:v></x:c>' +
      '<x:c r="B1"><x:f>SUM(A1)</x:f><x:v>1.5</x:v></x:c><x:c r="C1" t="e"/></x:row>\n' +
      "<x:row r='2'><x:c r='A2' t='inlineStr'><x:is><x:t>a&amp;b&#10;&#x41;</x:t><x:r><x:rPr/><x:t xml:space=\"preserve\"> c</x:t></x:r>" +
      '<x:rPh sb="0" eb="1"><x:t>phonetic</x:t></x:rPh></x:is></x:c>' +
      '<x:c r="B2" t="str"><x:v><![CDATA[<raw> & ]]>tail&lt;</x:v></x:c>' +
      '<x:c r="C2"><x:v>line\r\nend\rx</x:v></x:c></x:row><x:row/>',
  );
  const expected: Event[] = [
    ['row', '1'],
    ['cell', cell({ ref: 'A1', style: '2', type: 's', value: '0' })],
    ['cell', cell({ ref: 'B1', value: '1.5' })],
    ['cell', cell({ ref: 'C1', type: 'e' })],
    ['end'],
    ['row', '2'],
    ['cell', cell({ ref: 'A2', type: 'inlineStr', inline: 'a&b\nA c' })],
    ['cell', cell({ ref: 'B2', type: 'str', value: '<raw> & tail<' })],
    ['cell', cell({ ref: 'C2', value: 'line\nend\nx' })],
    ['end'],
    ['row', undefined],
    ['end'],
  ];

  it('reports rows and cells with text decoded as XML parsers do (prefixes, entities, CDATA, line ends)', () => {
    expect(read(xml)).toEqual(expected);
  });

  it('gives the same events however the text is split', () => {
    for (const size of [1, 2, 3, 5, 7, 64]) expect(read(xml, size)).toEqual(expected);
  });

  it.each([
    ['a tag left open', sheet('<x:row><x:c>')],
    ['mismatched tags', sheet('<x:row><x:c></x:row></x:c>')],
    ['an unknown entity', sheet('<x:row><x:c><x:v>&nbsp;</x:v></x:c></x:row>')],
    ['a bare ampersand', sheet('<x:row><x:c><x:v>a & b</x:v></x:c></x:row>')],
    ['a reference to a forbidden character', sheet('<x:row><x:c><x:v>&#0;</x:v></x:c></x:row>')],
    ['a forbidden character', sheet('<x:row><x:c><x:v>\u0001</x:v></x:c></x:row>')],
    ['an unquoted attribute', sheet('<x:row r=1></x:row>')],
    ['a DOCTYPE (entity expansion)', '<!DOCTYPE x [<!ENTITY a "aaaa">]><x/>'],
    ['text after the root', '<x/>tail'],
    ['a second root', '<x/><y/>'],
    ['nothing at all', ''],
  ])('refuses %s', (_what, bad) => {
    expect(() => read(bad)).toThrow(SheetXmlError);
  });
});
