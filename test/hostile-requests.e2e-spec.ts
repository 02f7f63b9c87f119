import { readdirSync } from 'node:fs';
import { AddressInfo, connect } from 'node:net';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import request from 'supertest';
import { MAX_BODY_DEPTH, MAX_BODY_VALUES } from '../src/common/http/body-guard';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

/**
 * What a fuzzer sends, on every route: each gets a 4xx with a `{detail}` body, never a 500,
 * a hang or a crash, and the app still answers /health afterwards.
 */
const JSON_ROUTES = ['/instructions/refine', '/codegen/generate', '/codegen/fix', '/execute'];
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const BOUNDARY = '----hostile';
const CSV = Buffer.from('a,b\n1,x\n');

const deepObject = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
const deepArray = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);
const manyKeys = (count: number): string =>
  JSON.stringify(Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i])));

/** A multipart body written by hand, so that names and filenames can hold any bytes. */
function multipart(parts: { disposition: Buffer | string; body: Buffer | string }[]): Buffer {
  return Buffer.concat([
    ...parts.flatMap((p) => [
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; `),
      Buffer.from(p.disposition),
      Buffer.from('\r\n\r\n'),
      Buffer.from(p.body),
      Buffer.from('\r\n'),
    ]),
    Buffer.from(`--${BOUNDARY}--\r\n`),
  ]);
}
const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
const fileDisposition = 'name="file"; filename="d.csv"';

describe('Hostile and extreme requests get a 4xx with {detail}', () => {
  let t: TestApp;
  let session: string;

  const post = (path: string, body: string | Buffer, type: string): request.Test =>
    request(t.http).post(`${t.prefix}${path}`).set('Content-Type', type).send(body);
  const upload = (body: Buffer): request.Test =>
    post('/upload', body, `multipart/form-data; boundary=${BOUNDARY}`);

  function expectRefused(res: request.Response, status: number, detail?: RegExp): void {
    expect({ status: res.status, body: res.body as unknown }).toMatchObject({
      status,
      body: { detail: expect.anything() },
    });
    if (detail) expect(JSON.stringify(res.body)).toMatch(detail);
  }

  beforeAll(async () => {
    t = await startTestApp({
      RATE_LIMIT_AI_MAX: '1000000',
      RATE_LIMIT_EXECUTE_MAX: '1000000',
      RATE_LIMIT_UPLOAD_MAX: '1000000',
    });
    await new Promise<void>((resolve) => t.http.listen(0, '127.0.0.1', resolve));
    session = await uploadCsv(t, CSV.toString());
  });

  afterEach(async () => {
    await request(t.http).get('/health').expect(200);
  });

  afterAll(async () => {
    // A request refused after multer stored its file must not leave the file behind.
    expect(readdirSync(join(t.root, 'inbound', '.incoming'))).toEqual([]);
    await t.close();
  });

  describe.each(JSON_ROUTES)('JSON body of POST %s', (route) => {
    it('nested 100,000 levels deep: 400, before validation recurses', async () => {
      expectRefused(
        await post(route, deepObject(100_000), 'application/json'),
        400,
        /nested more than 32 levels/,
      );
      expectRefused(
        await post(route, `{"session_id":${deepArray(100_000)}}`, 'application/json'),
        400,
        /nested/,
      );
    });

    it(`nested just past the bound (${MAX_BODY_DEPTH + 1} levels): 400`, async () => {
      expectRefused(await post(route, deepObject(MAX_BODY_DEPTH + 1), 'application/json'), 400);
    });

    it('a top-level array, however deep or long, is not a JSON object: 422', async () => {
      expectRefused(await post(route, deepArray(100_000), 'application/json'), 422, /JSON object/);
      const long = `[${Array(300_000).fill('1').join(',')}]`;
      expectRefused(await post(route, long, 'application/json'), 422, /JSON object/);
    });

    it('huge arrays and many keys: 400, in bounded time', async () => {
      const started = Date.now();
      expectRefused(
        await post(
          route,
          `{"session_id":[${Array(200_000).fill('1').join(',')}]}`,
          'application/json',
        ),
        400,
        new RegExp(`more than ${MAX_BODY_VALUES} values`),
      );
      expectRefused(await post(route, manyKeys(50_000), 'application/json'), 400, /values/);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('long keys, __proto__ and constructor keys: 422 naming the missing fields', async () => {
      const longKey = JSON.stringify({ ['k'.repeat(900_000)]: 1 });
      expectRefused(await post(route, longKey, 'application/json'), 422, /session_id/);
      const proto = `{"__proto__":{"session_id":"${session}"},"constructor":{"prototype":{"polluted":1}}}`;
      expectRefused(await post(route, proto, 'application/json'), 422, /session_id/);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('bodies that are not a JSON object: 400, 413 or 422', async () => {
      expectRefused(await post(route, '5', 'application/json'), 400, /not valid JSON/);
      expectRefused(await post(route, 'null', 'application/json'), 400, /not valid JSON/);
      expectRefused(await post(route, '{"a":', 'application/json'), 400, /not valid JSON/);
      expectRefused(
        await post(route, JSON.stringify({ a: 'x'.repeat(2_000_000) }), 'application/json'),
        413,
        /too large/,
      );
    });

    it('odd content types: text/plain, multipart, urlencoded, XML: 422', async () => {
      expectRefused(await post(route, '{"a":1}', 'text/plain'), 422, /JSON object/);
      expectRefused(await post(route, 'a=1&a=2', 'application/x-www-form-urlencoded'), 422);
      expectRefused(await post(route, '<a/>', 'application/xml'), 422);
      expectRefused(
        await request(t.http)
          .post(`${t.prefix}${route}`)
          .field('session_id', session)
          .field('code', 'x'.repeat(20)),
        422,
        /JSON object/,
      );
    });

    it('invalid UTF-8 in a JSON string is read with U+FFFD, then refused as usual', async () => {
      const body = bytes('{"session_id":"', [0xff, 0xfe, 0xc3], '"}');
      expectRefused(await post(route, body, 'application/json'), 422);
    });

    it('unknown charsets and content encodings: 415; a body that does not inflate: 400', async () => {
      expectRefused(await post(route, '{}', 'application/json; charset=klingon'), 415, /charset/);
      const encoded = (encoding: string): request.Test =>
        request(t.http)
          .post(`${t.prefix}${route}`)
          .set('Content-Type', 'application/json')
          .set('Content-Encoding', encoding)
          .send('not compressed');
      expectRefused(await encoded('zz'), 415, /Content-Encoding/);
      expectRefused(await encoded('gzip'), 400, /could not be read/);
      expectRefused(await encoded('deflate'), 400, /could not be read/);
    });
  });

  describe('GET /sessions/{id}/rows', () => {
    const rows = (query: string): request.Test =>
      request(t.http).get(`${t.prefix}/sessions/${session}/rows?${query}`);

    it.each([
      '9223372036854775807',
      '1e21',
      '-1',
      'NaN',
      '0x10',
      '1e3',
      '1.5',
      'Infinity',
      ' 5',
      '',
      '9007199254740992',
      '99999999999999999999999999999',
    ])('offset=%j: 422 naming the range', async (value) => {
      expectRefused(
        await rows(`offset=${encodeURIComponent(value)}`),
        422,
        /offset must be a whole number from 0 to 9007199254740991/,
      );
    });

    it.each(['0', '-5', '1e21', '9223372036854775807', '0x10'])('limit=%j: 422', async (value) => {
      expectRefused(await rows(`limit=${encodeURIComponent(value)}`), 422, /limit must be/);
    });

    it('the largest offset the engine takes answers an empty page', async () => {
      const res = await rows('offset=9007199254740991&limit=1').expect(200);
      expect(res.body).toEqual({ rows: [], offset: 9007199254740991, limit: 1, total: 1 });
    });

    it('repeated query parameters: 422', async () => {
      expectRefused(await rows('limit=1&limit=2'), 422, /given once/);
      expectRefused(await rows('offset=0&offset=0'), 422, /given once/);
    });

    it('query strings beyond the header limit: 431 with {detail}', async () => {
      const many = Array.from({ length: 3000 }, (_, i) => `k${i}=1`).join('&');
      expectRefused(await rows(many), 431, /larger than the server accepts/);
    });
  });

  describe('path ids and paths', () => {
    it.each([
      ['GET', '/sessions/not-a-uuid'],
      ['GET', '/sessions/not-a-uuid/rows'],
      ['DELETE', '/sessions/not-a-uuid'],
      ['GET', `/execute/not-a-uuid/${UNKNOWN_ID}`],
      ['GET', `/execute/${UNKNOWN_ID}/not-a-uuid/output`],
      ['GET', '/sessions/{8000 x}'],
      ['GET', '/sessions/%00%2F..%2F..%2Fetc%2Fpasswd'],
    ])('%s %s: 404', async (method, path) => {
      const res = await request(t.http)[method === 'GET' ? 'get' : 'delete'](
        `${t.prefix}${path.replace('{8000 x}', 'x'.repeat(8000))}`,
      );
      expectRefused(res, 404);
      // The message quotes the id, cut: it never echoes a whole 8 KB path.
      expect(JSON.stringify(res.body).length).toBeLessThan(300);
    });

    it('POST /execute for a session id that is not a UUID: 404', async () => {
      expectRefused(
        await post(
          '/execute',
          JSON.stringify({ session_id: 'not-a-uuid', code: 'x'.repeat(20) }),
          'application/json',
        ),
        404,
      );
    });

    it('broken percent-encoding in a path: 400', async () => {
      expectRefused(await request(t.http).get(`${t.prefix}/sessions/%E0%A4%A`), 400);
      expectRefused(await request(t.http).get(`${t.prefix}/sessions/%FF`), 400);
    });

    it('a path beyond the header limit: 431 with {detail}', async () => {
      expectRefused(
        await request(t.http).get(`${t.prefix}/sessions/${'x'.repeat(20_000)}`),
        431,
        /larger than the server accepts/,
      );
    });

    it('a request line that is not HTTP: 400 with {detail}', async () => {
      const { port } = t.http.address() as AddressInfo;
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.end('GARBAGE\r\n\r\n'));
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
        detail: 'The request is not valid HTTP',
      });
    });

    it("a request that did not arrive within Node's request timeout: 408 with {detail}", async () => {
      // Node raises this on its own schedule (every 30 s); the answer is what is tested here.
      let answer = '';
      const socket = new Duplex({
        read: () => undefined,
        write: (chunk: Buffer, _encoding, done) => {
          answer += chunk.toString('utf8');
          done();
        },
      });
      const ended = new Promise((resolve) => socket.once('finish', resolve));
      const timeout = Object.assign(new Error('Request timeout'), {
        code: 'ERR_HTTP_REQUEST_TIMEOUT',
      });
      t.http.emit('clientError', timeout, socket);
      await ended;
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
        detail: 'The request did not arrive in time; send it again',
      });
    });

    it('output downloads: format or escape_formulas twice 422; a 5,000-character format 404 (unknown job)', async () => {
      const output = `${t.prefix}/execute/${session}/${UNKNOWN_ID}/output`;
      expectRefused(await request(t.http).get(`${output}?format=csv&format=json`), 422);
      expectRefused(
        await request(t.http).get(`${output}?escape_formulas=true&escape_formulas=true`),
        422,
      );
      expectRefused(await request(t.http).get(`${output}?format=${'x'.repeat(5000)}`), 404);
    });
  });

  describe('POST /upload', () => {
    it('repeated form fields: 422, and the stored file is removed', async () => {
      const twice = (name: string, a: string, b: string): Buffer =>
        multipart([
          { disposition: `name="${name}"`, body: a },
          { disposition: `name="${name}"`, body: b },
          { disposition: fileDisposition, body: CSV },
        ]);
      expectRefused(await upload(twice('sheet', 'a', 'b')), 422, /sheet/);
      expectRefused(await upload(twice('header', 'true', 'false')), 422, /header/);
      const nested = multipart([
        { disposition: 'name="sheet[a][b]"', body: 'x' },
        { disposition: fileDisposition, body: CSV },
      ]);
      expectRefused(await upload(nested), 422, /sheet/);
    });

    it('two files, too many fields, a field value too long: 400', async () => {
      const twoFiles = multipart([
        { disposition: fileDisposition, body: CSV },
        { disposition: 'name="file"; filename="e.csv"', body: CSV },
      ]);
      expectRefused(await upload(twoFiles), 400, /exactly one file/);
      const fields = multipart([
        ...['a', 'b', 'c', 'd', 'e', 'f'].map((name) => ({
          disposition: `name="${name}"`,
          body: '1',
        })),
        { disposition: fileDisposition, body: CSV },
      ]);
      expectRefused(await upload(fields), 400, /Too many fields/);
      const long = multipart([
        { disposition: 'name="sheet"', body: 'x'.repeat(5000) },
        { disposition: fileDisposition, body: CSV },
      ]);
      expectRefused(await upload(long), 400, /too long/);
    });

    it('invalid UTF-8 in a field name, a field value and a filename', async () => {
      const badName = multipart([
        { disposition: bytes('name="', [0xff, 0xc3], '"'), body: 'x' },
        { disposition: bytes('name="header"'), body: bytes([0xff, 0xc3]) },
        { disposition: fileDisposition, body: CSV },
      ]);
      expectRefused(await upload(badName), 422, /header must be 'true' or 'false'/);
      const badExtension = multipart([
        { disposition: bytes('name="file"; filename="d.', [0xff, 0xc3], 'csv"'), body: CSV },
      ]);
      expectRefused(await upload(badExtension), 400, /extension|\.csv/i);
      // A valid file whose name holds stray bytes is still a valid file.
      const badFilename = multipart([
        { disposition: bytes('name="file"; filename="', [0xff, 0xc3], '.csv"'), body: CSV },
      ]);
      const res = await upload(badFilename).expect(200);
      expect(res.body).toMatchObject({ filename: '\ufffd\ufffd.csv', row_count: 1 });
    });

    it('JSON, text and broken multipart sent to upload: 400', async () => {
      expectRefused(await post('/upload', '{"file":"x"}', 'application/json'), 400, /multipart/);
      expectRefused(await post('/upload', CSV, 'text/csv'), 400, /multipart/);
      expectRefused(await post('/upload', CSV, 'multipart/form-data'), 400, /multipart/);
      const truncated = bytes(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; ${fileDisposition}\r\n\r\na,b`,
      );
      expectRefused(await upload(truncated), 400, /incomplete/);
      expectRefused(await request(t.http).post(`${t.prefix}/upload`), 400, /multipart/);
    });
  });
});
