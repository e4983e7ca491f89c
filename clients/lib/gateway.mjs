// Starts the real audit-gateway binary (`demo`: a seeded SQLite file in a fresh temp dir) on a
// free 127.0.0.1 port and hands back its URL and the admin token the demo prints.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN =
  process.env.AUDIT_GATEWAY_BIN ??
  fileURLToPath(new URL('../../target/debug/audit-gateway', import.meta.url));

export const SCHEMA_PATH = fileURLToPath(new URL('../../schema.graphql', import.meta.url));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The binary may be rebuilt while we run: wait up to a minute for it to be there.
async function waitForBinary() {
  for (let i = 0; i < 60; i++) {
    try {
      fs.accessSync(BIN, fs.constants.X_OK);
      return;
    } catch {
      await sleep(1000);
    }
  }
  throw new Error(`audit-gateway binary not found or not executable: ${BIN} (set AUDIT_GATEWAY_BIN)`);
}

/**
 * @param {{ extraArgs?: string[] }} [options] extra arguments after `demo --bind …`
 * @returns {Promise<{ url: string, origin: string, port: number, token: string, dir: string,
 *   databaseUrl: string, stop(): Promise<void> }>} `dir` is the working directory (the demo's
 *   database is there) and `databaseUrl` the URL the demo printed, relative to `dir`.
 */
export async function startGateway({ extraArgs = [] } = {}) {
  await waitForBinary();
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-gateway-clients-'));
  const child = spawn(BIN, ['demo', '--bind', `127.0.0.1:${port}`, ...extraArgs], {
    cwd: dir,
    env: { ...process.env, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s) => (stderr += s));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let hasExited = false;
  exited.then(() => (hasExited = true));

  const origin = `http://127.0.0.1:${port}`;
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  const fail = async (why) => {
    if (!hasExited) child.kill('SIGKILL');
    await exited;
    cleanup();
    throw new Error(`${why}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`);
  };

  const deadline = Date.now() + 60_000;
  let token;
  for (;;) {
    if (hasExited) return fail(`audit-gateway exited before it was ready: ${JSON.stringify(await exited)}`);
    if (Date.now() > deadline) return fail('audit-gateway was not ready within 60 s');
    token ??= stdout.match(/Bearer (agw_[A-Za-z0-9_-]+)/)?.[1];
    if (token) {
      try {
        const res = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
    }
    await sleep(200);
  }

  return {
    url: `${origin}/graphql`,
    origin,
    port,
    token,
    dir,
    // The demo prints `… up to now (sqlite://audit-demo.db?mode=rwc)`: the CLI's other commands
    // (`seed`, `token`) reach the same file with it from `dir`.
    databaseUrl: stdout.match(/\((sqlite:\/\/[^)\s]+)\)/)?.[1] ?? 'sqlite://audit-demo.db?mode=rwc',
    logs: () => ({ stdout, stderr }),
    async stop() {
      if (!hasExited) child.kill('SIGTERM');
      const timer = setTimeout(() => !hasExited && child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
      cleanup();
    },
  };
}

/**
 * POST a GraphQL request (with the token unless `token: null`); returns { status, headers, body },
 * the body parsed as JSON when it is JSON.
 */
export async function postGraphQL(gw, payload, { headers = {}, token = gw.token } = {}) {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify(payload),
  });
  return { status: res.status, headers: res.headers, body: await parseBody(res) };
}

export async function parseBody(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Assertion message helper: the response, shortened. */
export const show = (x) => {
  const s = typeof x === 'string' ? x : JSON.stringify(x);
  return s.length > 1500 ? `${s.slice(0, 1500)}…` : s;
};
