import { spawn } from 'node:child_process';

/**
 * GET /health one request after another, from a process of its own (so the bench's own
 * event loop, busy with the load it generates, adds nothing to the figures), until
 * stopped. A fresh connection per request, as a load balancer's probe makes.
 */
const PROBE = `
const http = require('node:http');
const url = process.argv[1];
const latencies = [];
let stop = false;
process.on('message', () => { stop = true; });
function once() {
  if (stop) { process.send(latencies, () => process.exit(0)); return; }
  const started = performance.now();
  http.get(url, { agent: false }, (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode !== 200) { console.error('/health answered ' + res.statusCode); process.exit(1); }
      latencies.push(performance.now() - started);
      setImmediate(once);
    });
  }).on('error', (e) => { console.error(e.message); process.exit(1); });
}
once();
`;

export interface HealthProbe {
  /** Stops probing; the latency of every request, in ms, in order. */
  stop(): Promise<number[]>;
}

export function probeHealth(baseUrl: string): HealthProbe {
  const child = spawn(process.execPath, ['-e', PROBE, `${baseUrl}/health`], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const result = new Promise<number[]>((resolve, reject) => {
    child.once('message', (m) => resolve(m as number[]));
    child.once('exit', (code) => reject(new Error(`health probe exited with ${code}`)));
  });
  return {
    stop: () => {
      child.send('stop');
      return result;
    },
  };
}
