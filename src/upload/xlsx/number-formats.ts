/**
 * Which cell styles make numbers dates, exactly as openpyxl 3.0 decides it
 * (openpyxl/styles/numbers.py and Stylesheet._normalise_numbers): only the cellXfs'
 * number format codes count, built-in ids without a code (23-36, 50-163) are numbers.
 */

/** openpyxl's BUILTIN_FORMATS, the ids it knows a code for. */
const BUILTIN_FORMATS: Readonly<Record<number, string>> = {
  0: 'General',
  1: '0',
  2: '0.00',
  3: '#,##0',
  4: '#,##0.00',
  5: '"$"#,##0_);("$"#,##0)',
  6: '"$"#,##0_);[Red]("$"#,##0)',
  7: '"$"#,##0.00_);("$"#,##0.00)',
  8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
  9: '0%',
  10: '0.00%',
  11: '0.00E+00',
  12: '# ?/?',
  13: '# ??/??',
  14: 'mm-dd-yy',
  15: 'd-mmm-yy',
  16: 'd-mmm',
  17: 'mmm-yy',
  18: 'h:mm AM/PM',
  19: 'h:mm:ss AM/PM',
  20: 'h:mm',
  21: 'h:mm:ss',
  22: 'm/d/yy h:mm',
  37: '#,##0_);(#,##0)',
  38: '#,##0_);[Red](#,##0)',
  39: '#,##0.00_);(#,##0.00)',
  40: '#,##0.00_);[Red](#,##0.00)',
  41: '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)',
  42: '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)',
  43: '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)',
  44: '_("$"* #,##0.00_)_("$"* \\(#,##0.00\\)_("$"* "-"??_)_(@_)',
  45: 'mm:ss',
  46: '[h]:mm:ss',
  47: 'mmss.0',
  48: '##0.0E+0',
  49: '@',
};

// Python's '.' stops at '\n' only; JavaScript's also at '\r', U+2028 and U+2029.
const STRIP_RE = /"[^\n]*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]/g;
const DATE_CHAR_RE = /[^\\][dmhysDMHYS]/;

/** openpyxl's `is_date_format(fmt)`: a date letter (not escaped) outside quotes and [locale] parts of the first section. */
export function isDateFormat(code: string | undefined): boolean {
  if (code === undefined) return false;
  const first = code.split(';')[0].replace(STRIP_RE, '');
  return DATE_CHAR_RE.test(first);
}

/**
 * The cellXfs indexes whose number format is a date format.
 * `cellXfNumFmtIds` is each `<cellXfs><xf numFmtId>` in order (0 when absent);
 * `customFormats` maps `<numFmts><numFmt>` ids to codes (a later duplicate wins).
 */
export function dateStyleIndexes(
  cellXfNumFmtIds: readonly number[],
  customFormats: ReadonlyMap<number, string>,
): Set<number> {
  const dates = new Set<number>();
  cellXfNumFmtIds.forEach((id, index) => {
    const code = customFormats.has(id) ? customFormats.get(id) : BUILTIN_FORMATS[id];
    if (isDateFormat(code)) dates.add(index);
  });
  return dates;
}
