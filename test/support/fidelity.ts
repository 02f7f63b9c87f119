import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import request from 'supertest';
import { submit, waitForJob } from './execution-client';
import { TestApp } from './test-app';

/** The sandbox's interpreter: pandas 1.5.3 and openpyxl (a `python3` on PATH may lack pandas). */
export const PANDAS_PYTHON = process.env.SANDBOX_PYTHON ?? '/usr/bin/python3';
const SUPPORT_DIR = resolve(__dirname);
/** One serialiser for both sides: the job's code and the oracle's import. */
export const SNAPSHOT_CODE = readFileSync(join(SUPPORT_DIR, 'frame_snapshot.py'), 'utf8');
const ORACLE = join(SUPPORT_DIR, 'pandas_oracle.py');

/** A value as frame_snapshot.py tags it: the type first, then what identifies the value. */
export type Tag = [string, ...unknown[]];

export interface ColumnSnapshot {
  label: Tag;
  dtype: string;
  values: Tag[];
}

export interface FrameSnapshot {
  rows: number;
  index: unknown[];
  columns: ColumnSnapshot[];
}

export interface Reading {
  snapshot?: FrameSnapshot;
  error?: string;
  labels_as_text?: string[];
  /** pandas' datetime64 reading of object columns that are all dates, by column position. */
  dates?: Record<string, { dtype: string; values: Tag[] }>;
  /** Float columns as float_precision='round_trip' parses them, where that differs. */
  exact_floats?: Record<string, Tag[]>;
  sniffed?: Reading & { sep: string };
}

export interface OracleRequest {
  id: string;
  path: string;
  kind: 'csv' | 'xlsx';
  options?: Record<string, unknown>;
  sniff?: boolean;
}

/** Every file under dir, as paths relative to it. */
export function filesUnder(dir: string, root = dir): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path, root) : [relative(root, path)];
    });
}

/** Runs test/support/pandas_oracle.py once for all requests. */
export function runOracle(requests: OracleRequest[]): Promise<Record<string, Reading>> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      PANDAS_PYTHON,
      [ORACLE],
      { maxBuffer: 1024 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`pandas oracle failed: ${error.message}\n${stderr.slice(0, 4000)}`));
          return;
        }
        resolvePromise(JSON.parse(stdout) as Record<string, Reading>);
      },
    );
    child.stdin?.end(JSON.stringify(requests));
  });
}

/** Runs `items` through `work` with at most `limit` at a time; results in input order. */
export async function inPool<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Joins the snapshot chunks of a finished snapshot job from its JSON (or else CSV) download. */
export async function downloadSnapshot(
  t: TestApp,
  sessionId: string,
  jobId: string,
): Promise<FrameSnapshot> {
  const url = `${t.prefix}/execute/${sessionId}/${jobId}/output`;
  const res = await request(t.http)
    .get(url)
    .query({ format: 'json' })
    .buffer(true)
    .parse((r, done) => {
      const parts: Buffer[] = [];
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => done(null, Buffer.concat(parts).toString('utf8')));
    });
  if (res.status !== 200) {
    throw new Error(`JSON download answered ${res.status}: ${String(res.body).slice(0, 300)}`);
  }
  const rows = JSON.parse(res.body as string) as { part: number | string; chunk: string }[];
  const text = rows
    .map((r) => ({ part: Number(r.part), chunk: String(r.chunk) }))
    .sort((a, b) => a.part - b.part)
    .map((r) => {
      if (!r.chunk.startsWith('~')) throw new Error(`chunk ${r.part} lost its '~' marker`);
      return r.chunk.slice(1);
    })
    .join('');
  return JSON.parse(text) as FrameSnapshot;
}

export interface UploadOutcome {
  status: number;
  body: Record<string, unknown>;
  /** What transform(df) saw, when the upload succeeded and the snapshot job ran. */
  sandbox?: FrameSnapshot;
  jobError?: string;
  /** Upload, and upload through download, in milliseconds. */
  uploadMs: number;
  ms: number;
}

/** Uploads one file, runs the snapshot job on it, downloads the snapshot, ends the session. */
export async function uploadAndSnapshot(
  t: TestApp,
  file: Buffer,
  filename: string,
  fields: Record<string, string> = {},
): Promise<UploadOutcome> {
  const started = Date.now();
  let req = request(t.http).post(`${t.prefix}/upload`);
  for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
  const res = await req.attach('file', file, filename);
  const body = (res.body ?? {}) as Record<string, unknown>;
  const outcome: UploadOutcome = {
    status: res.status,
    body,
    uploadMs: Date.now() - started,
    ms: 0,
  };
  if (res.status !== 200) {
    outcome.ms = Date.now() - started;
    return outcome;
  }
  const sessionId = body.session_id as string;
  try {
    const submitted = await submit(t, sessionId, SNAPSHOT_CODE);
    if (submitted.status !== 200) {
      outcome.jobError = `execute answered ${submitted.status}: ${JSON.stringify(submitted.body).slice(0, 500)}`;
    } else {
      const jobId = submitted.body.job_id as string;
      const job = await waitForJob(t, sessionId, jobId, 300_000);
      if (job.status !== 'success') outcome.jobError = `job failed: ${job.error_message}`;
      else outcome.sandbox = await downloadSnapshot(t, sessionId, jobId);
    }
  } catch (error) {
    outcome.jobError = (error as Error).message;
  } finally {
    await request(t.http).delete(`${t.prefix}/sessions/${sessionId}`);
  }
  outcome.ms = Date.now() - started;
  return outcome;
}

// ---------------------------------------------------------------- comparison

export function tagText(tag: Tag | undefined): string {
  if (tag === undefined) return '(absent)';
  if (tag.length === 1) return tag[0];
  return `${tag[0]} ${tag
    .slice(1)
    .map((v) => JSON.stringify(v))
    .join(' ')}`;
}

export function sameTag(a: Tag | undefined, b: Tag | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const MISSING = new Set(['None', 'NA', 'NaT']);
export function isMissing(tag: Tag | undefined): boolean {
  return tag !== undefined && (MISSING.has(tag[0]) || (tag[0] === 'float' && tag[1] === 'nan'));
}

/** The kind of a value difference, for grouping the report. */
export function valueFaultKind(ours: Tag | undefined, pandas: Tag | undefined): string {
  if (ours === undefined || pandas === undefined) return 'value: row missing on one side';
  if (isMissing(ours) && !isMissing(pandas)) return 'value: missing where pandas has a value';
  if (!isMissing(ours) && isMissing(pandas)) return 'value: a value where pandas has a missing one';
  if (isMissing(ours) && isMissing(pandas)) return 'value: different kind of missing';
  if (ours[0] !== pandas[0]) return `value: type (${ours[0]} where pandas has ${pandas[0]})`;
  if (ours[0] === 'str') return 'value: different text';
  if (ours[0] === 'int' || ours[0] === 'float') return 'value: different number';
  return `value: different ${ours[0]}`;
}

const DATETIME_MIN = Date.UTC(1677, 8, 21, 0, 12, 44);
const DATETIME_MAX = Date.UTC(2262, 3, 11, 23, 47, 16);
/** True for an ISO datetime outside what datetime64[ns] holds. */
export function outsideNanosecondRange(iso: string): boolean {
  const year = Number(iso.slice(0, 4));
  if (!Number.isFinite(year)) return false;
  if (year < 1677 || year > 2262) return true;
  const ms = Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : `${iso.slice(0, 19)}Z`);
  return ms < DATETIME_MIN || ms > DATETIME_MAX;
}

/** The spellings of a datetime that a text reading of the same cell may hold. */
export function datetimeSpellings(iso: string): string[] {
  const [date, time = '00:00:00'] = iso.split('T');
  const spellings = [iso, `${date} ${time}`];
  if (time === '00:00:00') spellings.push(date);
  return spellings;
}
