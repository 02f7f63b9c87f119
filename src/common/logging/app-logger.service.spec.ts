import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppLogger } from './app-logger.service';
import { requestContext } from './request-context';

describe('AppLogger', () => {
  const make = (overrides: Partial<ConstructorParameters<typeof AppLogger>[0]> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'acb-log-'));
    const logger = new AppLogger({
      level: 'info',
      dir,
      maxBytes: 4096,
      backupCount: 2,
      secrets: ['super-secret-value-123'],
      stdout: false,
      ...overrides,
    });
    return { dir, logger };
  };

  it('rotates by size and keeps at most LOG_BACKUP_COUNT old files', async () => {
    const { dir, logger } = make();
    for (let i = 0; i < 400; i++) logger.log(`line ${i} ${'x'.repeat(80)}`);
    await new Promise((r) => setTimeout(r, 300));
    await logger.close();
    const files = readdirSync(dir);
    expect(files).toContain('app.log');
    expect(files.length).toBeGreaterThan(1);
    expect(files.length).toBeLessThanOrEqual(3);
  });

  it('adds the request id and scrubs secrets and key-shaped strings', async () => {
    const { dir, logger } = make({ maxBytes: 1024 * 1024 });
    requestContext.run({ requestId: 'req-1' }, () => {
      logger.warn({ msg: 'calling with super-secret-value-123', apiKey: 'whatever' });
      logger.error(new Error('bad key sk-ant-api03-abcdefghijklmnop'));
    });
    await logger.close();
    const text = readFileSync(join(dir, 'app.log'), 'utf8');
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.request_id)).toEqual(['req-1', 'req-1']);
    expect(lines[0].level).toBe('warn');
    expect(text).not.toMatch(/super-secret-value-123|abcdefghijklmnop|whatever/);
  });
});
