// Starts the real audit-gateway binary for the browser tests:
// - `startDemo()`: `audit-gateway demo` (a seeded SQLite year up to now) in a fresh temp dir;
// - `startPostgres()`: a fresh PostgreSQL database behind a TCP proxy that a test can close and
//   reopen (the database "stopping under the page"), migrated, seeded and served.
// Each hands back the page's origin, an Admin token, its database URL and stop();
// `appendActivities()` writes rows into that database while the page is open (`seed`).
// Nothing here is a test.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** web/, which relative paths (the binary, target/web-e2e) are resolved from. */
export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The binary under test: CI builds it at ../target/debug (relative to web/). */
export const BIN = path.resolve(WEB_DIR, process.env.AUDIT_GATEWAY_BIN ?? '../target/debug/audit-gateway');

/** Where screenshots (kept by CI as artifacts) are written. */
export const ARTIFACTS = path.resolve(WEB_DIR, '../target/web-e2e');

const PG_HOST = '127.0.0.1';
const PG_PORT = 5432;

export interface Gateway {
  origin: string;
  port: number;
  /** An Admin's token. */
  token: string;
  /** The database it serves, for the CLI's commands (`seed`). */
  databaseUrl: string;
  /** The gateway's output so far (for failure messages). */
  logs: () => string;
  stop: () => Promise<void>;
}

export interface PostgresGateway extends Gateway {
  /** A token of an account that is not an Admin (403 for the audit log). */
  memberToken: string;
  /** Stops the proxy: open connections are cut and new ones refused. */
  cutDatabase: () => Promise<void>;
  /** Lets connections through again. */
  restoreDatabase: () => Promise<void>;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function checkBinary(): void {
  try {
    fs.accessSync(BIN, fs.constants.X_OK);
  } catch {
    throw new Error(`audit-gateway binary not found or not executable: ${BIN} (build it, or set AUDIT_GATEWAY_BIN)`);
  }
}

/** A running child process with its output collected. */
class Child {
  readonly process: ChildProcess;
  output = '';
  stdout = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly exited: Promise<void>;

  constructor(args: string[], cwd: string) {
    this.process = spawn(BIN, args, {
      cwd,
      env: { ...process.env, RUST_LOG: 'warn', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process.stdout?.setEncoding('utf8').on('data', (s: string) => {
      this.stdout += s;
      this.output += s;
    });
    this.process.stderr?.setEncoding('utf8').on('data', (s: string) => {
      this.output += s;
    });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
    });
  }

  /** Waits for the process to end (it is not asked to). */
  async done(): Promise<void> {
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exit !== null) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Runs the binary to the end; its stdout, or an error with everything it printed. */
async function run(args: string[], cwd: string): Promise<string> {
  const child = new Child(args, cwd);
  await child.done();
  if (child.exit?.code !== 0) {
    throw new Error(`audit-gateway ${args.join(' ')} failed (${JSON.stringify(child.exit)}):\n${child.output}`);
  }
  return child.stdout;
}

/** Waits for GET /healthz to answer 200 (and for `ready()`, when given). */
async function waitUntilServing(child: Child, origin: string, ready: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exit !== null) {
      throw new Error(`audit-gateway exited before it was ready (${JSON.stringify(child.exit)}):\n${child.output}`);
    }
    if (Date.now() > deadline) throw new Error(`audit-gateway was not ready within 60 s:\n${child.output}`);
    if (ready()) {
      try {
        const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
    }
    await sleep(100);
  }
}

/** `audit-gateway demo` in a fresh temp dir: 48 users, 40,000 activities over a year up to now. */
export async function startDemo(): Promise<Gateway> {
  checkBinary();
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-gateway-web-e2e-'));
  const child = new Child(['demo', '--bind', `127.0.0.1:${String(port)}`], dir);
  const origin = `http://127.0.0.1:${String(port)}`;
  const tokenOf = (): string | undefined => /export TOKEN=(agw_[A-Za-z0-9_-]+)/.exec(child.stdout)?.[1];
  try {
    await waitUntilServing(child, origin, () => tokenOf() !== undefined);
  } catch (error) {
    await child.stop(1000);
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    origin,
    port,
    token: tokenOf() ?? '',
    // The demo's own file in its working directory (`audit-demo.db`), named absolutely.
    databaseUrl: `sqlite://${path.join(dir, 'audit-demo.db')}?mode=rwc`,
    logs: () => child.output,
    async stop() {
      await child.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP proxy to PostgreSQL that can be cut (every connection destroyed, listening stopped). */
class CuttableProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();

  constructor(readonly port: number) {}

  open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(PG_PORT, PG_HOST);
      this.sockets.add(client);
      this.sockets.add(upstream);
      const close = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      for (const socket of [client, upstream]) {
        socket.on('error', close);
        socket.on('close', close);
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        resolve();
      });
    });
  }

  cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  }
}

/** Runs psql against the maintenance database; fails loudly (PostgreSQL is required, not optional). */
async function psql(sql: string, database = 'postgres'): Promise<string> {
  const child = spawn('psql', ['-h', PG_HOST, '-p', String(PG_PORT), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-tA', '-c', sql], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', () => {
      resolve(-1);
    });
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`psql failed (is PostgreSQL running at ${PG_HOST}:${String(PG_PORT)}?): ${sql}\n${out}`);
  return out.trim();
}

/**
 * A fresh database (dropped by stop()), reached through a proxy on a free port; `migrate`,
 * `seed --users 20 --actions 3000 --days 60`, an Admin token from `token create --user admin`,
 * a Member's token written into api_token (the CLI creates tokens for Admins only), then `serve`.
 */
export async function startPostgres(): Promise<PostgresGateway> {
  checkBinary();
  const database = `audit_e2e_${randomBytes(6).toString('hex')}`;
  await psql(`CREATE DATABASE ${database}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-gateway-web-e2e-pg-'));
  const proxy = new CuttableProxy(await freePort());
  let child: Child | null = null;
  const cleanup = async (): Promise<void> => {
    await child?.stop();
    await proxy.cut();
    await psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await proxy.open();
    const url = `postgres://postgres@127.0.0.1:${String(proxy.port)}/${database}`;
    await run(['migrate', '--database-url', url], dir);
    await run(['seed', '--users', '20', '--actions', '3000', '--days', '60', '--database-url', url], dir);
    const token = (await run(['token', 'create', '--user', 'admin', '--database-url', url], dir)).trim();
    if (!token.startsWith('agw_')) throw new Error(`token create printed no token: ${token}`);

    const memberToken = `agw_e2e_member_${randomBytes(16).toString('hex')}`;
    const hash = createHash('sha256').update(memberToken).digest('hex');
    const member = await psql(
      `INSERT INTO api_token (user_id, name, token_hash, created_at)
       SELECT id, 'web-e2e member', '${hash}', LOCALTIMESTAMP FROM users
       WHERE role <> 'Admin' AND NOT is_internal ORDER BY id LIMIT 1 RETURNING user_id`,
      database,
    );
    if (member === '') throw new Error('the seed made no account that is not an Admin');

    const port = await freePort();
    const origin = `http://127.0.0.1:${String(port)}`;
    const serving = new Child(['serve', '--bind', `127.0.0.1:${String(port)}`, '--database-url', url], dir);
    child = serving;
    await waitUntilServing(serving, origin);
    return {
      origin,
      port,
      token,
      databaseUrl: url,
      memberToken,
      logs: () => serving.output,
      cutDatabase: () => proxy.cut(),
      restoreDatabase: () => proxy.open(),
      stop: cleanup,
    };
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }
}

/**
 * Writes `actions` new activities, dated today, of one new user into the gateway's database with
 * `audit-gateway seed` (which appends after the rows already there): writes that arrive while
 * the page is open. Prints the seed's report.
 */
export async function appendActivities(gateway: Gateway, actions: number, seed: number): Promise<string> {
  const args = ['seed', '--database-url', gateway.databaseUrl, '--users', '1', '--actions', String(actions), '--days', '1', '--seed', String(seed)];
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run(args, os.tmpdir());
    } catch (error) {
      // Against a serving SQLite gateway, about one seed in fifteen fails at once with
      // "(code: 5) database is locked" and writes nothing: try again, a few times.
      if (attempt >= 4 || !String(error).includes('database is locked')) throw error;
      await sleep(200 * attempt);
    }
  }
}

/** Polls GET /readyz until the gateway says the database answers again. */
export async function waitUntilReady(origin: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
    } catch {
      // try again
    }
    if (Date.now() > deadline) throw new Error(`${origin}/readyz did not answer 200 within ${String(timeoutMs)} ms`);
    await sleep(200);
  }
}
