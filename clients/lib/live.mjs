// What the live-feed tests share: the subscription document, a recorder any client's callbacks
// can feed, and rows appended to the running demo's database with the `seed` command.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BIN, show } from './gateway.mjs';

/** The cursor before every row (base64url of `f1|0|0`): `after` it replays the whole log. */
export const START = 'ZjF8MHww';

export const ACTIVITY_EVENTS = `subscription ActivityEvents($filter: ActivityFilter, $after: String) {
  activityEvents(filter: $filter, after: $after) {
    cursor
    node {
      id verb objectType objectId
      transaction { id issuedAt user { id name userName email isInternal } }
    }
  }
}`;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Collects what a subscription delivers: `next` results, the `error`, `complete`. With `limit`,
 * calls `onLimit` (the client's unsubscribe) as soon as that many results are in, so a replay of
 * the whole log stops after the first few rows.
 */
export class Recorder {
  results = [];
  error = undefined;
  completed = false;

  constructor({ limit = Infinity, onLimit = () => {} } = {}) {
    this.limit = limit;
    this.onLimit = onLimit;
  }

  next = (result) => {
    if (this.results.length >= this.limit) return;
    this.results.push(result);
    if (this.results.length === this.limit) this.onLimit();
  };
  fail = (error) => {
    this.error = error;
  };
  complete = () => {
    this.completed = true;
  };

  get done() {
    return this.completed || this.error !== undefined;
  }

  /** The delivered edges (`data.activityEvents`), in order. */
  get edges() {
    return this.results.map((r) => r.data?.activityEvents);
  }

  /** Waits until `cond(this)` holds, or throws after `ms` with what was received. */
  async until(cond, ms, what) {
    const deadline = Date.now() + ms;
    while (!cond(this)) {
      if (Date.now() > deadline) {
        throw new Error(
          `${what}: not within ${ms} ms; got ${this.results.length} result(s) ${show(this.results.slice(-5))}, ` +
            `error ${show(describe(this.error))}, completed ${this.completed}`,
        );
      }
      await sleep(10);
    }
    return this;
  }

  /** Waits for `n` results (or the end of the subscription). */
  take(n, ms = 10_000) {
    return this.until((r) => r.results.length >= n || r.done, ms, `${n} result(s)`);
  }
}

/** A CloseEvent, an Error or an array of GraphQL errors, as something JSON shows. */
export const describe = (e) =>
  e === undefined ? null : e?.code !== undefined ? { code: e.code, reason: e.reason } : Array.isArray(e) ? e : String(e);

/** The activity id of an edge, as a number. */
export const idOf = (edge) => Number(edge.node.id);

/** The activity id a cursor names (`f1|0|<id>`, base64url). */
export const idOfCursor = (cursor) => {
  const [, , id] = Buffer.from(cursor, 'base64url').toString().split('|');
  return Number(id);
};

/** base64url(`f1|0|<id>`): what a cursor of this feed holds on SQLite (asserted, not assumed). */
export const cursorOf = (id) => Buffer.from(`f1|0|${id}`).toString('base64url');

/**
 * Appends `actions` activities (and one user) to the running gateway's database with
 * `audit-gateway seed`, in one transaction. Each call needs its own `seed` to write new rows.
 */
export async function seedRows(gw, { actions, seed }) {
  const { stdout, stderr } = await promisify(execFile)(
    BIN,
    ['seed', '--database-url', gw.databaseUrl, '--users', '1', '--actions', String(actions), '--days', '1', '--seed', String(seed)],
    { cwd: gw.dir, timeout: 30_000, env: { ...process.env, RUST_LOG: 'warn' } },
  );
  const out = stdout + stderr;
  if (!new RegExp(`\\b${actions} activities\\b`).test(out)) throw new Error(`seed did not write ${actions} activities:\n${out}`);
  return out;
}

/**
 * Makes sure a subscription "from now" is live before a test writes the rows it waits for:
 * no protocol here acknowledges that the server has read where the log stands, so instead of
 * sleeping and hoping, seed one row at a time (seeds `seed`, `seed + 1`, …) until `rec` holds a
 * result. Returns how many probe rows were written; every row written after the one delivered
 * first reaches `rec`.
 */
export async function seedUntilLive(gw, rec, { seed }) {
  let probes = 0;
  while (rec.results.length === 0) {
    if (rec.done) throw new Error(`the subscription ended before it was live: ${show(describe(rec.error))}`);
    if (probes === 10) throw new Error(`no probe row arrived after ${probes} seeds`);
    await seedRows(gw, { actions: 1, seed: seed + probes });
    probes += 1;
    await rec.until((r) => r.results.length > 0 || r.done, 2_000, 'a probe row').catch(() => {});
  }
  return probes;
}

/** The list's total (`GET /api/activity`) for these query parameters. */
export async function listTotal(gw, params = '') {
  const res = await fetch(`${gw.origin}/api/activity?size=1${params ? `&${params}` : ''}`, {
    headers: { authorization: `Bearer ${gw.token}` },
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`GET /api/activity: ${res.status} ${show(body)}`);
  return body.total;
}
