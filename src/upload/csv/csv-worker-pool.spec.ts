import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UploadRejected } from '../../common/errors/domain-errors';
import { analyseHead } from './csv-dialect';
import { prepareCsvText } from './csv-text';
import { analyseHeadOffThread, prepareCsvTextOffThread } from './csv-worker-pool';

const CORPUS = join(__dirname, '../../../test/fixtures/corpus/frictionless/data');

describe('the CSV worker pool', () => {
  let work: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'csv-pool-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('analyses heads as analyseHead does, many at once (more than there are workers)', async () => {
    const files = readdirSync(CORPUS).filter((f) => f.endsWith('.csv'));
    const heads = files.map((f) => readFileSync(join(CORPUS, f)).subarray(0, 64 * 1024));
    const texts = heads.map((h) => new TextDecoder().decode(h));
    const offThread = await Promise.all(texts.map((t) => analyseHeadOffThread(t)));
    expect(offThread).toEqual(texts.map((t) => analyseHead(t)));
    expect(files).toContain('issue-1066.csv');
    expect(await analyseHeadOffThread('a;b\n1;2\n', { wholeFile: true, delimiter: ';' })).toEqual(
      analyseHead('a;b\n1;2\n', { wholeFile: true, delimiter: ';' }),
    );
  });

  it('prepares text as prepareCsvText does', async () => {
    const path = join(work, 'cp1252.csv');
    writeFileSync(path, Buffer.from('sep=;\nname;city\nJos\xe9;K\xf6ln\n', 'latin1'));
    const expected = await prepareCsvText(path, work);
    expect(expected.sepLine).toBe(';');
    expect(await prepareCsvTextOffThread(path, work)).toEqual(expected);
  });

  it('passes an UploadRejected back with its message', async () => {
    const path = join(work, 'utf32.csv');
    writeFileSync(path, Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0]));
    const failed = await prepareCsvTextOffThread(path, work).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(UploadRejected);
    expect((failed as Error).message).toMatch(/UTF-32/);
  });
});
