import { execFileSync } from 'node:child_process';
import { PYTHON } from '../../../test/support/pandas-oracle';
import { dateStyleIndexes, isDateFormat } from './number-formats';

const CODES = [
  'General',
  '0',
  '0.00',
  '#,##0',
  '0%',
  '0.00E+00',
  '@',
  'mm-dd-yy',
  'd-mmm-yy',
  'h:mm AM/PM',
  '[h]:mm:ss',
  'yyyy-mm-dd',
  'yyyy-mm-dd h:mm:ss',
  'dd/mm/yyyy',
  '"Date: "0',
  '[Red]0.00',
  '[$-409]mmmm d, yyyy',
  '[$-F800]dddd\\, mmmm dd\\, yyyy',
  '0.00;[Red]-0.00;"-"',
  'd',
  'y',
  'dd',
  '\\d0',
  '"yy"0',
  '_(* #,##0_)',
  '[mm]:ss',
  '[ss].0',
  'mmss.0',
  '#,##0 "days"',
  'General;[Red]mm/dd',
  '0.0 "hours"',
  'A/P',
  'hh"h"mm',
  '"a\nb"0',
  '[>=100]0;0.00',
];

describe("isDateFormat (openpyxl's is_date_format)", () => {
  it('agrees with openpyxl on built-in and custom codes', () => {
    const expected = JSON.parse(
      execFileSync(
        PYTHON,
        [
          '-c',
          'import json, sys\nfrom openpyxl.styles.numbers import is_date_format\nprint(json.dumps([is_date_format(c) for c in json.load(sys.stdin)]))',
        ],
        { input: JSON.stringify(CODES) },
      ).toString(),
    ) as boolean[];
    expect(CODES.map(isDateFormat)).toEqual(expected);
  });

  it('takes built-in ids without a code (27-36) as numbers, and custom codes over built-in ids', () => {
    const styles = dateStyleIndexes(
      [0, 14, 27, 36, 164, 22],
      new Map([
        [164, 'yyyy'],
        [22, '0.00'],
      ]),
    );
    expect([...styles]).toEqual([1, 4]);
  });
});
