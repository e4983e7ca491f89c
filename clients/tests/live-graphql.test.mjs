// The live feed's GraphQL face: `subscription { activityEvents }` over WebSocket
// (graphql-transport-ws), driven by graphql-ws's own client and by Apollo Client 3 and urql over
// it. The demo's rows are replayed from the cursor before every row; new rows are written while
// the gateway runs with `audit-gateway seed`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
// Apollo Client 3 has no "exports" map: Node's ESM resolver needs the file paths.
import { ApolloClient, InMemoryCache, gql } from '@apollo/client/core/index.js';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions/index.js';
import { createClient as createUrqlClient, subscriptionExchange } from '@urql/core';
import { startGateway, show } from '../lib/gateway.mjs';
import { ACTIVITY_EVENTS, START, Recorder, cursorOf, describe, idOf, listTotal, seedRows, seedUntilLive, sleep } from '../lib/live.mjs';

let gw;
const sockets = [];
before(async () => {
  gw = await startGateway();
});
after(async () => {
  await Promise.all(sockets.map((c) => c.dispose()));
  await gw?.stop();
});

/**
 * A graphql-ws client on the gateway, with the token in `connection_init`'s payload (where a
 * browser's WebSocket, which cannot set headers, puts it). No retries: a refusal must reach the
 * test instead of being retried. Not lazy: the socket opens at once and stays open between
 * subscriptions until `dispose()`, so each test sees one socket's close events (and
 * `lazyCloseTimeout` would leave a timer running after `dispose()`). `closes` collects the close
 * events the client saw.
 */
function wsClient({ token = gw.token, connectionParams } = {}) {
  const closes = [];
  const client = createClient({
    url: gw.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: connectionParams ?? (token ? { Authorization: `Bearer ${token}` } : undefined),
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {}, // the subscriptions' error callbacks and `closes` report it
    on: { closed: (event) => closes.push({ code: event.code, reason: event.reason }) },
  });
  client.closes = closes;
  sockets.push(client);
  return client;
}

/** Subscribes `client` to `activityEvents(variables)`; the recorder's `stop()` unsubscribes. */
function follow(client, variables, { limit, query = ACTIVITY_EVENTS } = {}) {
  let unsubscribe = () => {};
  const rec = new Recorder({ limit, onLimit: () => unsubscribe() });
  unsubscribe = client.subscribe({ query, variables }, { next: rec.next, error: rec.fail, complete: rec.complete });
  rec.stop = () => unsubscribe();
  return rec;
}

/** The checks every delivered edge passes: a cursor, the node's shape, string ids. */
function assertEdge(edge) {
  assert.equal(typeof edge.cursor, 'string', show(edge));
  assert.ok(edge.cursor.length > 0);
  const { node } = edge;
  assert.match(node.id, /^\d+$/, 'ids are strings of digits');
  assert.equal(typeof node.verb, 'string');
  assert.equal(typeof node.objectType, 'string');
  assert.match(node.transaction.id, /^\d+$/);
  assert.match(node.transaction.issuedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const { user } = node.transaction;
  if (user !== null) {
    assert.match(user.id, /^\d+$/);
    for (const key of ['name', 'userName', 'email']) assert.equal(typeof user[key], 'string', show(user));
    assert.equal(typeof user.isInternal, 'boolean');
  }
}

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('graphql-ws: after the cursor before every row, the log replays oldest first; resuming after the 3rd cursor continues at the 4th', async () => {
  const client = wsClient();
  const replay = await follow(client, { after: START }, { limit: 8 }).take(8);
  assert.equal(replay.error, undefined, show(describe(replay.error)));
  assert.ok(replay.results.every((r) => r.errors === undefined), show(replay.results));
  const edges = replay.edges;
  edges.forEach(assertEdge);
  // A fresh demo: the replay starts at the first row and goes up by id, each row once.
  assert.deepEqual(edges.map(idOf), range(1, 8), 'ascending ids from the first row');
  assert.deepEqual(edges.map((e) => e.cursor), edges.map((e) => cursorOf(idOf(e))), 'each cursor names its row');

  // What a client does after a dropped connection: start again after the last cursor it saw.
  const resumed = await follow(client, { after: edges[2].cursor }, { limit: 5 }).take(5);
  assert.equal(resumed.error, undefined, show(describe(resumed.error)));
  assert.deepEqual(resumed.edges, edges.slice(3, 8), 'the 4th to the 8th rows, exactly: nothing skipped, nothing repeated');
});

test('graphql-ws: the scope filter applies to the replay (objectTypes and actions)', async () => {
  const filter = { objectTypes: ['QualityCheck', 'Container'], actions: ['update'] };
  const rec = await follow(wsClient(), { after: START, filter }, { limit: 6 }).take(6);
  assert.equal(rec.error, undefined, show(describe(rec.error)));
  assert.equal(rec.results.length, 6, show(rec.results));
  const edges = rec.edges;
  edges.forEach(assertEdge);
  for (const { node } of edges) {
    assert.ok(filter.objectTypes.includes(node.objectType), show(node));
    assert.equal(node.verb, 'update', show(node));
  }
  const ids = edges.map(idOf);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ascending');
  assert.equal(new Set(ids).size, ids.length, 'each row once');
});

test('graphql-ws: from now, rows appended by `audit-gateway seed` while subscribed arrive, all of them, once each, in order', async () => {
  // A fresh demo's ids run from 1 to the list's total: the rows seeded next get the ids after it.
  const base = await listTotal(gw);
  const live = follow(wsClient(), {});
  try {
    const probes = await seedUntilLive(gw, live, { seed: 1000 });
    assert.equal(live.error, undefined, show(describe(live.error)));
    const first = idOf(live.edges[0]);
    assert.ok(first > base && first <= base + probes, `the first row is a probe: ${first} in ${base + 1}..${base + probes}`);

    const N = 25;
    await seedRows(gw, { actions: N, seed: 2000 });
    const last = base + probes + N;
    await live.until((r) => r.done || r.edges.some((e) => idOf(e) >= last), 10_000, `the row ${last}`);
    // A moment more: a repeat after the last row would show here.
    await sleep(700);
    assert.equal(live.error, undefined, show(describe(live.error)));
    assert.ok(live.results.every((r) => r.errors === undefined), show(live.results.filter((r) => r.errors)));
    live.edges.forEach(assertEdge);
    // Every row after the first probe received, once, in order: the later probes, then the N.
    assert.deepEqual(live.edges.map(idOf), range(first, last));
    assert.deepEqual(live.edges.slice(-N).map(idOf), range(last - N + 1, last), `all ${N} seeded rows`);
  } finally {
    live.stop();
  }
});

test('graphql-ws: a bad token, or none, closes the socket with 4401', async () => {
  for (const [what, options] of [
    ['a token that is not one', { token: 'agw_not_a_token' }],
    ['no connection_init payload', { token: null }],
    ['a token without Bearer', { connectionParams: { Authorization: gw.token } }],
  ]) {
    const client = wsClient(options);
    const rec = await follow(client, { after: START }, { limit: 1 }).until((r) => r.done, 10_000, what);
    assert.equal(rec.results.length, 0, `${what}: nothing delivered`);
    assert.equal(rec.error?.code, 4401, `${what}: ${show(describe(rec.error))}`);
    assert.deepEqual(client.closes.map((c) => c.code), [4401], `${what}: the client saw one close, 4401`);
  }
});

test('graphql-ws: a window in the filter (startDate, endDate, timeframe) is BAD_USER_INPUT, then complete', async () => {
  const client = wsClient();
  for (const [field, filter] of [
    ['startDate', { startDate: '2026-01-01' }],
    ['endDate', { endDate: '2026-01-01' }],
    ['timeframe', { timeframe: 'WEEK' }],
  ]) {
    const rec = await follow(client, { filter }).until((r) => r.done, 10_000, field);
    assert.equal(rec.error, undefined, `${field}: an execution error, not a socket error: ${show(describe(rec.error))}`);
    assert.ok(rec.completed, `${field}: completed`);
    assert.equal(rec.results.length, 1, show(rec.results));
    const [{ data, errors }] = rec.results;
    assert.equal(data, null);
    assert.equal(errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', show(errors));
    assert.deepEqual(errors[0].path, ['activityEvents']);
    assert.match(errors[0].message, new RegExp(field), show(errors));
  }
  assert.deepEqual(client.closes, [], 'the socket stays open');
});

test('graphql-ws: a query over the socket is refused with a pointer to POST /graphql, then complete', async () => {
  const rec = await follow(wsClient(), {}, { query: '{ __typename }' }).until((r) => r.done, 10_000, 'the refusal');
  assert.equal(rec.error, undefined, show(describe(rec.error)));
  assert.equal(rec.results.length, 1, show(rec.results));
  assert.match(rec.results[0].errors?.[0]?.message ?? '', /POST \/graphql/, show(rec.results));
});

test('graphql-ws: ten subscriptions per socket; past them RATE_LIMITED, and closing one frees its place', async () => {
  const client = wsClient();
  const subs = Array.from({ length: 12 }, () => follow(client, {}));
  try {
    const refused = () => subs.filter((s) => s.results.length > 0);
    await subs[0].until(() => refused().length >= 2, 10_000, 'two refusals');
    await sleep(500); // a third refusal would show here
    assert.equal(refused().length, 2, show(refused().map((s) => s.results)));
    for (const s of refused()) {
      assert.equal(s.results[0].errors?.[0]?.extensions?.code, 'RATE_LIMITED', show(s.results));
      await s.until((r) => r.done, 5_000, 'the refused one completes');
    }
    // The server admits them concurrently: which two are refused is not the order they were sent.
    const admitted = subs.filter((s) => s.results.length === 0);
    assert.equal(admitted.length, 10);
    assert.ok(admitted.every((s) => !s.done), 'the ten admitted ones stay open');

    admitted[0].stop();
    const replay = await follow(client, { after: START }, { limit: 1 }).take(1);
    assert.equal(replay.results[0]?.errors, undefined, `the freed place is taken: ${show(replay.results)}`);
    assert.equal(idOf(replay.edges[0]), 1);
  } finally {
    subs.forEach((s) => s.stop());
  }
});

test(
  'graphql-ws: a client closing its socket with 1000 gets the close frame echoed (RFC 6455 §5.5.1)',
  async () => {
    const client = wsClient();
    await follow(client, { after: START }, { limit: 1 }).take(1);
    await client.dispose(); // sends close 1000 "Normal Closure"
    const deadline = Date.now() + 5_000;
    while (client.closes.length === 0 && Date.now() < deadline) await sleep(10);
    assert.deepEqual(client.closes.map((c) => c.code), [1000]);
  },
);

test('Apollo Client 3 with GraphQLWsLink: client.subscribe receives the replay, normalised into the cache', async () => {
  const apollo = new ApolloClient({ link: new GraphQLWsLink(wsClient()), cache: new InMemoryCache() });
  let subscription;
  const rec = new Recorder({ limit: 3, onLimit: () => subscription.unsubscribe() });
  subscription = apollo
    .subscribe({ query: gql(ACTIVITY_EVENTS), variables: { after: START } })
    .subscribe({ next: rec.next, error: rec.fail, complete: rec.complete });
  try {
    await rec.take(3);
    assert.equal(rec.error, undefined, show(describe(rec.error)));
    assert.equal(rec.results.length, 3, show(rec.results));
    const edges = rec.edges;
    edges.forEach(assertEdge);
    assert.deepEqual(edges.map(idOf), [1, 2, 3]);
    // Apollo added __typename to the document; the server answers it on a subscription too.
    assert.deepEqual(edges.map((e) => [e.__typename, e.node.__typename]), Array(3).fill(['ActivityEdge', 'Activity']));
    const cached = apollo.cache.extract();
    for (const e of edges) assert.equal(cached[`Activity:${e.node.id}`]?.verb, e.node.verb, `Activity:${e.node.id} is in the cache`);
  } finally {
    subscription.unsubscribe();
    apollo.stop();
  }

  // A refused filter reaches Apollo's error callback as an ApolloError with the GraphQL error.
  const refused = new Recorder();
  const sub = apollo
    .subscribe({ query: gql(ACTIVITY_EVENTS), variables: { filter: { timeframe: 'WEEK' } } })
    .subscribe({ next: refused.next, error: refused.fail, complete: refused.complete });
  try {
    await refused.until((r) => r.done, 10_000, 'the refusal');
    assert.equal(refused.error?.graphQLErrors?.[0]?.extensions?.code, 'BAD_USER_INPUT', show(refused.error));
  } finally {
    sub.unsubscribe();
  }
});

test('urql with subscriptionExchange forwarding to graphql-ws: client.subscription receives the replay', async () => {
  const ws = wsClient();
  const urql = createUrqlClient({
    url: gw.url,
    exchanges: [
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
  let subscription;
  const rec = new Recorder({ limit: 3, onLimit: () => subscription.unsubscribe() });
  subscription = urql.subscription(ACTIVITY_EVENTS, { after: START }).subscribe(rec.next);
  try {
    await rec.take(3);
    assert.ok(rec.results.every((r) => r.error === undefined), show(rec.results.map((r) => r.error?.message)));
    const edges = rec.edges;
    edges.forEach(assertEdge);
    assert.deepEqual(edges.map(idOf), [1, 2, 3]);
  } finally {
    subscription.unsubscribe();
  }

  // A refused filter is a result whose CombinedError holds the GraphQL error.
  const refused = new Recorder({ limit: 1 });
  const sub = urql.subscription(ACTIVITY_EVENTS, { filter: { startDate: '2026-01-01' } }).subscribe(refused.next);
  try {
    await refused.take(1);
    assert.equal(refused.results[0].error?.graphQLErrors?.[0]?.extensions?.code, 'BAD_USER_INPUT', show(refused.results[0].error));
  } finally {
    sub.unsubscribe();
  }
});
