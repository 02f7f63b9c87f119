import { execFileSync } from 'node:child_process';
import { PANDAS_NA_VALUES } from './pandas-na-values';

describe('PANDAS_NA_VALUES', () => {
  it("is the sandbox's pandas' own list", () => {
    const script =
      'import json\nfrom pandas._libs.parsers import STR_NA_VALUES\nprint(json.dumps(sorted(STR_NA_VALUES)))';
    const pandas = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script]).toString());
    expect([...PANDAS_NA_VALUES].sort()).toEqual([...(pandas as string[])].sort());
  });
});
