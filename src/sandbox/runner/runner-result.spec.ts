import { OUTPUT_MAX_COLUMNS } from '../sandbox-limits';
import { resultOf, RunnerLimits, stoppedResult } from './runner-result';

const LIMITS: RunnerLimits = {
  timeoutMs: 1000,
  maxMemoryMb: 512,
  maxOutputBytes: 1024,
  maxResultBytes: 1 << 24,
  maxOutputRows: 10,
  scratchBytes: 1 << 20,
};
const OUT = { stdout: '', stderr: '', durationMs: 1 };

describe('resultOf (the runner result header)', () => {
  it('says how many columns an output has and the limit, not "malformed output"', () => {
    const columns = Array.from({ length: OUTPUT_MAX_COLUMNS + 1 }, (_, i) => ({ name: `c${i}` }));
    const raw = Buffer.from(`${JSON.stringify({ status: 'ok', rows: 1, columns })}\n`);
    const result = resultOf(raw, 0, null, LIMITS, OUT);
    expect(result).toMatchObject({
      status: 'error',
      errorMessage: 'output has 16,385 columns; the limit is 16,384',
    });
  });

  it('accepts as many output columns as an upload may have', () => {
    expect(OUTPUT_MAX_COLUMNS).toBe(16_384);
  });

  describe('the header\'s check verdict (job.py\'s "check")', () => {
    const header = (h: object, body = Buffer.alloc(0)): Buffer =>
      Buffer.concat([Buffer.from(`${JSON.stringify(h)}\n`), body]);
    const oneFloat = (check: unknown) =>
      header(
        {
          status: 'ok',
          rows: 1,
          columns: [{ name: 'a', kind: 'f', nulls: false, size: 8, dtype: 'float64' }],
          check,
        },
        Buffer.alloc(8),
      );

    it('a success carries true when check passed and null when there was none', () => {
      expect(resultOf(oneFloat(true), 0, null, LIMITS, OUT)).toMatchObject({
        status: 'success',
        checkPassed: true,
      });
      expect(resultOf(oneFloat(null), 0, null, LIMITS, OUT)).toMatchObject({
        status: 'success',
        checkPassed: null,
      });
      // A contradictory header (ok, yet a failed check) claims no verdict.
      expect(resultOf(oneFloat(false), 0, null, LIMITS, OUT).checkPassed).toBeNull();
    });

    it("a failed check is an error with job.py's message and checkPassed false", () => {
      const raw = header({
        status: 'error',
        kind: 'check',
        message: 'check failed: total is negative (line 9)',
        check: false,
      });
      expect(resultOf(raw, 0, null, LIMITS, OUT)).toEqual({
        ...OUT,
        status: 'error',
        errorMessage: 'check failed: total is negative (line 9)',
        checkPassed: false,
      });
    });

    it('memory exhausted inside check says it was the check', () => {
      const raw = header({ status: 'error', kind: 'memory', check: false });
      expect(resultOf(raw, 0, null, LIMITS, OUT)).toMatchObject({
        errorMessage: 'check failed: used more than 512 MB of memory',
        checkPassed: false,
      });
    });

    it('errors before the check, missing verdicts and stopped runs carry null', () => {
      const raw = header({
        status: 'error',
        kind: 'exception',
        message: 'KeyError: x',
        check: null,
      });
      expect(resultOf(raw, 0, null, LIMITS, OUT).checkPassed).toBeNull();
      const older = header({ status: 'error', kind: 'memory' });
      expect(resultOf(older, 0, null, LIMITS, OUT)).toMatchObject({
        errorMessage: 'used more than 512 MB of memory',
        checkPassed: null,
      });
      expect(stoppedResult('timeout', LIMITS, OUT)).toMatchObject({
        errorMessage: 'timed out after 1 s',
        checkPassed: null,
      });
    });
  });
});
