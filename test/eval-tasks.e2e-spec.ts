import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import request from 'supertest';
import { compareCsv } from '../eval/compare';
import { loadTask, taskDirs, taskProblems } from '../eval/task-set';
import { run } from './support/execution-client';
import { startTestApp, TestApp } from './support/test-app';

/**
 * The eval's tasks are right: each folder is well-formed, and each task's reference.py,
 * run through the real product (upload, execute, CSV download), gives its expected.csv
 * under the task's own comparison rules.
 */
const dirs = taskDirs();
const names = dirs.map((d) => basename(d));

describe('eval task set', () => {
  it('holds at least 30 well-formed tasks', () => {
    expect(dirs.length).toBeGreaterThanOrEqual(30);
    const problems = dirs.flatMap((d) => taskProblems(d).map((p) => `${basename(d)}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('scripts a broken first answer in about a third of the tasks, so repairs run', () => {
    const repaired = dirs.map(loadTask).filter((t) => t.fakeAttempts.length > 1);
    expect(repaired.length).toBeGreaterThanOrEqual(Math.floor(dirs.length / 4));
    // Each broken first answer differs from the final one.
    for (const task of repaired) expect(task.fakeAttempts[0]).not.toEqual(task.reference);
  });
});

describe('eval comparison', () => {
  const rules = { row_order: 'exact', column_order: 'exact', float_tolerance: 1e-6 } as const;
  const expected = 'id,total,note\n1,2.5,\n2,10.0,x\n';

  it('accepts the same table spelled differently (1 and 1.0, NaN and empty, tiny float error)', () => {
    const actual = 'id,total,note\n1.0,2.5000000001,NaN\n2,10,x\n';
    expect(compareCsv(expected, actual, rules)).toEqual({ equal: true, difference: null });
  });

  it('names the first wrong cell, a missing row and a column order change', () => {
    expect(compareCsv(expected, 'id,total,note\n1,2.6,\n2,10.0,x\n', rules).difference).toBe(
      'row 1, column "total": expected "2.5", got "2.6"',
    );
    expect(compareCsv(expected, 'id,total,note\n1,2.5,\n', rules).difference).toBe(
      'expected 2 rows, got 1',
    );
    const swapped = 'id,note,total\n2,x,10.0\n1,,2.5\n';
    expect(compareCsv(expected, swapped, rules).equal).toBe(false);
    expect(
      compareCsv(expected, swapped, { ...rules, row_order: 'any', column_order: 'any' }),
    ).toEqual({ equal: true, difference: null });
  });
});

describe('eval reference solutions through the product', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(names)('%s: reference.py gives expected.csv', async (name) => {
    const task = loadTask(dirs[names.indexOf(name)]);
    let upload = request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', readFileSync(task.inputPath), basename(task.inputPath));
    if (task.sheet) upload = upload.field('sheet', task.sheet);
    const sessionId = ((await upload.expect(200)).body as { session_id: string }).session_id;

    const job = await run(t, sessionId, task.reference);
    expect(job.error_message).toBeNull();
    expect(job.status).toBe('success');
    const csv = await request(t.http)
      .get(`${t.prefix}/execute/${sessionId}/${job.job_id}/output?format=csv`)
      .buffer(true)
      .parse((res, callback) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => callback(null, text));
      })
      .expect(200);
    expect(compareCsv(task.expectedCsv, csv.body as string, task.compare)).toEqual({
      equal: true,
      difference: null,
    });
  });
});
