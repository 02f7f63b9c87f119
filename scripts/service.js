#!/usr/bin/env node
// Runs the built server in the background, as the seed's scripts/manage.py did:
//   npm run service -- start [--port N] [--foreground] | stop [--force] | status | health [--url URL]
// PID file: .pids/server.pid; output: LOG_DIR (or .pids)/server.out. Needs `npm run build` first.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const PID_DIR = path.join(ROOT, '.pids');
const PID_FILE = path.join(PID_DIR, 'server.pid');
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = Number(process.env.SERVICE_STOP_TIMEOUT_SECONDS ?? 30) * 1000;

function option(args, name) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function readPid() {
  try {
    const pid = Number(fs.readFileSync(PID_FILE, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function baseUrl(args) {
  const port = option(args, '--port') ?? process.env.PORT ?? '8000';
  return option(args, '--url') ?? `http://127.0.0.1:${port}`;
}

function getHealth(url, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get(`${url.replace(/\/$/, '')}/health`, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode, body: JSON.parse(body) });
        } catch {
          resolve({ status: res.statusCode, body: {} });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve({ error }));
  });
}

async function start(args) {
  const running = readPid();
  if (running && alive(running)) {
    console.error(`already running (PID ${running}); run 'stop' first`);
    return 1;
  }
  const main = path.join(ROOT, 'dist', 'main.js');
  if (!fs.existsSync(main)) {
    console.error("dist/main.js is missing: run 'npm run build' (or 'npm run setup') first");
    return 3;
  }
  const env = { ...process.env };
  const port = option(args, '--port');
  if (port) env.PORT = port;
  const appEnv = option(args, '--env');
  if (appEnv) env.APP_ENV = appEnv;
  fs.mkdirSync(PID_DIR, { recursive: true });
  if (args.includes('--foreground')) {
    const child = spawn(process.execPath, [main], { cwd: ROOT, env, stdio: 'inherit' });
    fs.writeFileSync(PID_FILE, String(child.pid));
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
    fs.rmSync(PID_FILE, { force: true });
    return code;
  }
  const outDir = process.env.LOG_DIR || PID_DIR;
  fs.mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, 'server.out');
  const out = fs.openSync(outFile, 'a');
  const child = spawn(process.execPath, [main], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  fs.writeFileSync(PID_FILE, String(child.pid));
  child.unref();
  console.log(`started (PID ${child.pid}); output in ${outFile}; waiting for /health`);
  const url = baseUrl(args);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    await sleep(500);
    if (!alive(child.pid)) {
      fs.rmSync(PID_FILE, { force: true });
      console.error(`the server exited during start; see ${outFile}`);
      return 2;
    }
    const res = await getHealth(url, 2000);
    if (res.status === 200) {
      console.log(`up: ${url}/health answers ok (PID ${child.pid})`);
      return 0;
    }
  }
  console.error(
    `no healthy answer from ${url}/health within ${START_TIMEOUT_MS / 1000} s; see ${outFile}`,
  );
  return 2;
}

async function stop(args) {
  const pid = readPid();
  if (!pid) {
    console.log('not running (no PID file)');
    return 0;
  }
  if (!alive(pid)) {
    fs.rmSync(PID_FILE, { force: true });
    console.log(`not running (stale PID ${pid} removed)`);
    return 0;
  }
  // SIGTERM lets the server drain requests and jobs; SIGKILL only after the deadline.
  const force = args.includes('--force');
  process.kill(pid, force ? 'SIGKILL' : 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid) && Date.now() < deadline) await sleep(200);
  if (alive(pid)) {
    console.error(`PID ${pid} still running after ${STOP_TIMEOUT_MS / 1000} s: SIGKILL`);
    process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(100);
  }
  fs.rmSync(PID_FILE, { force: true });
  console.log(`stopped (PID ${pid})`);
  return 0;
}

function status() {
  const pid = readPid();
  if (pid && alive(pid)) {
    console.log(`running (PID ${pid})`);
    return 0;
  }
  console.log(pid ? `not running (stale PID ${pid})` : 'not running');
  return 3;
}

async function health(args) {
  const url = baseUrl(args);
  const res = await getHealth(url, 5000);
  if (res.error) {
    console.error(`cannot reach ${url}/health: ${res.error.message}`);
    return 2;
  }
  const b = res.body;
  console.log(`HTTP ${res.status}: status=${b.status} env=${b.env} version=${b.version}`);
  if (b.sandbox) console.log(`sandbox: ${JSON.stringify(b.sandbox)}`);
  return res.status === 200 ? 0 : 1;
}

const COMMANDS = { start, stop, status, health };

async function main() {
  const [command, ...args] = process.argv.slice(2);
  const run = COMMANDS[command];
  if (!run) {
    console.error('usage: npm run service -- start|stop|status|health [--port N] [--url URL]');
    return 64;
  }
  return run(args);
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
