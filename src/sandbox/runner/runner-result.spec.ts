import { OUTPUT_MAX_COLUMNS } from '../sandbox-limits';
import { resultOf, RunnerLimits } from './runner-result';

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
});
