/**
 * pandas 1.5.3's default missing-value tokens (`pandas._libs.parsers.STR_NA_VALUES`):
 * `read_csv` and `read_excel` read these as missing in every column, quoted or not.
 */
export const PANDAS_NA_VALUES: readonly string[] = [
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'n/a',
  'nan',
  'null',
];
