// The live feed as server-sent events, `GET /api/activity/stream`, read by the `eventsource`
// package (the WHATWG EventSource for Node; from v3 its `fetch` option is how a client adds the
// Authorization header a browser's EventSource cannot send).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { startGateway, show } from '../lib/gateway.mjs';
import { START, Recorder, cursorOf, idOfCursor, listTotal, seedRows, seedUntilLive, sleep } from '../lib/live.mjs';

let gw;
const sources = [];
before(async () => {
  gw = await startGateway();
});
after(async () => {
  sources.forEach((es) => es.close());
  await gw?.stop();
});

/** A fetch that adds the token and remembers each request: [{ url, headers }]. */
function authorizedFetch(gateway, { wrap = (res) => res } = {}) {
  const requests = [];
  const fn = async (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${gateway.token}`);
    requests.push({ url: String(input), headers: Object.fromEntries(headers) });
    return wrap(await fetch(input, { ...init, headers }), requests.length);
  };
  return { fn, requests };
}

/**
 * Opens an EventSource on the stream with `params`; its messages go to a Recorder as
 * `{ lastEventId, data }` (stopping at `limit`), its error events to `errors`.
 */
function stream(params, { limit, fetch: fetchFn = authorizedFetch(gw).fn, gateway = gw } = {}) {
  const es = new EventSource(`${gateway.origin}/api/activity/stream${params ? `?${params}` : ''}`, { fetch: fetchFn });
  sources.push(es);
  const rec = new Recorder({ limit, onLimit: () => es.close() });
  rec.errors = [];
  es.onmessage = (event) => rec.next({ lastEventId: event.lastEventId, data: event.data });
  es.onerror = (event) => rec.errors.push({ code: event.code, message: event.message, readyState: es.readyState });
  rec.source = es;
  return rec;
}

/**
 * The list's items (`GET /api/activity?<params>`) for the oldest `n` rows, oldest first, as
 * JSON text: the list is newest first, so the k-th oldest is alone on page `total - k + 1` of
 * size 1 (its order, issued_at then id, is the feed's on the demo, whose ids follow time).
 */
async function oldestListed(params, n) {
  const total = await listTotal(gw, params);
  const items = [];
  for (let k = 1; k <= n; k++) {
    const res = await fetch(`${gw.origin}/api/activity?size=1&page=${total - k + 1}${params ? `&${params}` : ''}`, {
      headers: { authorization: `Bearer ${gw.token}` },
    });
    const body = await res.json();
    assert.equal(res.status, 200, show(body));
    assert.equal(body.items.length, 1, show(body));
    items.push(body.items[0]);
  }
  return items;
}

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('EventSource after the cursor before every row: lastEventId is each row\'s cursor, data is the list\'s item for the row', async () => {
  const rec = await stream(`after=${START}`, { limit: 6 }).take(6);
  assert.equal(rec.results.length, 6, show({ results: rec.results, errors: rec.errors }));
  assert.deepEqual(rec.errors, []);
  const ids = rec.results.map((e) => idOfCursor(e.lastEventId));
  assert.deepEqual(ids, range(1, 6), 'the first rows, oldest first');
  assert.deepEqual(rec.results.map((e) => e.lastEventId), ids.map(cursorOf), 'the id: line is the cursor');

  const listed = await oldestListed('', 6);
  // The same bytes: `data:` is the list's item serialised the same way.
  assert.deepEqual(rec.results.map((e) => e.data), listed.map((item) => JSON.stringify(item)));
  for (const { data } of rec.results) {
    const item = JSON.parse(data);
    assert.deepEqual(Object.keys(item), ['transaction', 'verb', 'object_type', 'object_id']);
    assert.deepEqual(Object.keys(item.transaction), ['id', 'issued_at', 'user']);
    if (item.transaction.user) assert.deepEqual(Object.keys(item.transaction.user), ['id', 'name', 'user_name', 'email']);
  }
});

test('EventSource with list parameters repeated (object_types twice, actions): the same rows as the list with them', async () => {
  const params = 'object_types=QualityCheck&object_types=Container&actions=update&include_internal=false';
  const rec = await stream(`${params}&after=${START}`, { limit: 5 }).take(5);
  assert.equal(rec.results.length, 5, show({ results: rec.results, errors: rec.errors }));
  const items = rec.results.map((e) => JSON.parse(e.data));
  for (const item of items) {
    assert.ok(['QualityCheck', 'Container'].includes(item.object_type), show(item));
    assert.equal(item.verb, 'update');
  }
  const ids = rec.results.map((e) => idOfCursor(e.lastEventId));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ascending');
  assert.deepEqual(items, await oldestListed(params, 5));
});

test('EventSource reconnects after a dropped stream with Last-Event-ID, which wins over after=: the rows go on with no repeat', async () => {
  // The first response is cut after its 3rd event, as a proxy dropping the connection would.
  // `retry: 100` at its start asks for a quick reconnect (EventSource's default is 3 s).
  const cut = async (res, nth) => {
    if (nth > 1) return res;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (nthEventEnd(text, 3) < 0) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    const body = `retry: 100\n\n${text.slice(0, nthEventEnd(text, 3))}`;
    return new Response(body, { status: res.status, headers: res.headers });
  };
  const fetcher = authorizedFetch(gw, { wrap: cut });
  const rec = await stream(`after=${START}`, { limit: 6, fetch: fetcher.fn }).take(6);
  assert.deepEqual(rec.results.map((e) => idOfCursor(e.lastEventId)), range(1, 6), show({ results: rec.results, errors: rec.errors }));
  assert.equal(fetcher.requests.length, 2, 'one reconnection');
  const [first, second] = fetcher.requests;
  assert.equal(first.headers['last-event-id'], undefined);
  assert.equal(second.headers['last-event-id'], cursorOf(3), 'the reconnection names the last event received');
  assert.equal(new URL(second.url).searchParams.get('after'), START, 'with the URL it first opened');
  assert.ok(rec.errors.length >= 1 && rec.errors.every((e) => e.readyState === EventSource.CONNECTING), show(rec.errors));
});

/** Where the n-th event of an event-stream text ends (after its blank line), or -1. */
function nthEventEnd(text, n) {
  let at = 0;
  for (let k = 0; k < n; k++) {
    const i = text.indexOf('\n\n', at);
    if (i < 0) return -1;
    at = i + 2;
  }
  return at;
}

test('EventSource from now: rows appended by `audit-gateway seed` arrive, all of them, once each, in order', async () => {
  const base = await listTotal(gw);
  const live = stream('');
  try {
    const probes = await seedUntilLive(gw, live, { seed: 3000 });
    const first = idOfCursor(live.results[0].lastEventId);
    assert.ok(first > base && first <= base + probes, `the first row is a probe: ${first} in ${base + 1}..${base + probes}`);
    const N = 20;
    await seedRows(gw, { actions: N, seed: 4000 });
    const last = base + probes + N;
    await live.until((r) => r.results.some((e) => idOfCursor(e.lastEventId) >= last), 10_000, `the row ${last}`);
    await sleep(700); // a repeat would show here
    assert.deepEqual(live.results.map((e) => idOfCursor(e.lastEventId)), range(first, last));
    assert.deepEqual(live.errors, []);
    for (const { data } of live.results) assert.deepEqual(Object.keys(JSON.parse(data)), ['transaction', 'verb', 'object_type', 'object_id']);
  } finally {
    live.source.close();
  }
});

test('EventSource gets 401 without a token and 422 for a window, and does not reconnect', async () => {
  const cases = [
    ['no token', '', fetch, 401],
    ['timeframe', `timeframe=week`, undefined, 422],
    ['a bad cursor', 'after=zzz', undefined, 422],
  ];
  for (const [what, params, fetchFn, code] of cases) {
    const rec = stream(params, fetchFn ? { fetch: fetchFn } : {});
    await rec.until((r) => r.errors.length > 0, 10_000, what);
    await sleep(300); // a reconnection would add an error here
    assert.deepEqual(rec.errors.map((e) => [e.code, e.readyState]), [[code, EventSource.CLOSED]], `${what}: ${show(rec.errors)}`);
    assert.equal(rec.results.length, 0);
  }
  // What the 422 says, as the list's errors do.
  const res = await fetch(`${gw.origin}/api/activity/stream?timeframe=week`, { headers: { authorization: `Bearer ${gw.token}` } });
  assert.equal(res.status, 422);
  assert.deepEqual((await res.json()).detail.map((d) => d.loc), [['query', 'timeframe']]);
});

test('a quiet stream outlives the idle timeout: heartbeat comments keep it open (--idle-timeout 2: one every second)', async () => {
  const quiet = await startGateway({ extraArgs: ['--idle-timeout', '2'] });
  let es;
  try {
    // Tee the raw text: EventSource hides comments from its listeners.
    let raw = '';
    const tee = (res) => {
      const decoder = new TextDecoder();
      const body = res.body.pipeThrough(
        new TransformStream({
          transform(chunk, controller) {
            raw += decoder.decode(chunk, { stream: true });
            controller.enqueue(chunk);
          },
        }),
      );
      return new Response(body, { status: res.status, headers: res.headers });
    };
    const fetcher = authorizedFetch(quiet, { wrap: tee });
    const rec = stream('', { fetch: fetcher.fn, gateway: quiet });
    es = rec.source;
    await sleep(3_500);
    assert.deepEqual(rec.errors, [], 'no error, no reconnection past the idle timeout');
    assert.equal(fetcher.requests.length, 1);
    assert.equal(es.readyState, EventSource.OPEN);
    assert.ok((raw.match(/^:.*\n\n/gm) ?? []).length >= 2, `heartbeat comments: ${show(raw)}`);
    // And it still delivers.
    await seedUntilLive(quiet, rec, { seed: 5000 });
    assert.deepEqual(rec.errors, []);
  } finally {
    es?.close();
    await quiet.stop();
  }
});
