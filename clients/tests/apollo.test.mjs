// Apollo Client 3 (HttpLink, InMemoryCache, fetchMore, the persisted-query link, the batch link).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
// Apollo Client 3 has no "exports" map: Node's ESM resolver needs the file paths.
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client/core/index.js';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries/index.js';
import { BatchHttpLink } from '@apollo/client/link/batch-http/index.js';
import { startGateway, postGraphQL, show } from '../lib/gateway.mjs';
import { DASHBOARD, assertDashboard, assertItems } from '../lib/dashboard.mjs';

const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const YEAR = { filter: { timeframe: 'YEAR' } };

let gw;
before(async () => {
  gw = await startGateway();
});
after(() => gw?.stop());

/** A fetch that remembers what it sent: [{ method, body }] */
function recordingFetch() {
  const sent = [];
  const fn = (input, init = {}) => {
    sent.push({ method: init.method ?? 'GET', url: String(input), body: init.body ? JSON.parse(init.body) : undefined });
    return fetch(input, init);
  };
  return { fn, sent };
}

const client = (link, cache = new InMemoryCache()) => new ApolloClient({ link, cache });
const httpLink = (options = {}) =>
  new HttpLink({ uri: gw.url, fetch, headers: { authorization: `Bearer ${gw.token}` }, ...options });

test('the dashboard query over one YEAR $filter answers consistent cards, chart and page with string ids', async () => {
  const apollo = client(httpLink());
  const { data, errors } = await apollo.query({ query: gql(DASHBOARD), variables: { ...YEAR, page: { page: 1, size: 20 } } });
  assert.equal(errors, undefined);
  assertDashboard(data, { timeframe: 'YEAR', page: 1, size: 20 });
  // InMemoryCache normalised the items under their string ids.
  const cached = apollo.cache.extract();
  for (const item of data.activity.items) assert.ok(cached[`Activity:${item.id}`], `Activity:${item.id} is in the cache`);
});

test('fetchMore appends page 2 to page 1 through a typePolicy: new items, same total', async () => {
  const cache = new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          activity: {
            keyArgs: ['filter'],
            merge(existing, incoming, { args }) {
              const size = args?.page?.size ?? 50;
              const offset = ((args?.page?.page ?? 1) - 1) * size;
              const items = existing ? existing.items.slice(0, offset) : [];
              return { ...incoming, items: [...items, ...incoming.items] };
            },
          },
        },
      },
    },
  });
  const apollo = client(httpLink(), cache);
  const query = apollo.watchQuery({ query: gql(DASHBOARD), variables: { ...YEAR, page: { page: 1, size: 20 } } });
  const results = [];
  const subscription = query.subscribe({ next: (r) => results.push(r), error: (e) => results.push({ error: e }) });
  try {
    const first = await query.result();
    assertDashboard(first.data, { timeframe: 'YEAR', page: 1, size: 20 });
    const page1 = first.data.activity.items;

    const more = await query.fetchMore({ variables: { page: { page: 2, size: 20 } } });
    assertDashboard(more.data, { timeframe: 'YEAR', page: 2, size: 20 });
    const page2 = more.data.activity.items;
    const ids1 = new Set(page1.map((i) => i.id));
    assert.ok(page2.every((i) => !ids1.has(i.id)), 'page 2 shares no item with page 1');
    assert.ok(page1.at(-1).transaction.issuedAt >= page2[0].transaction.issuedAt, 'page 2 continues page 1, newest first');
    assert.equal(more.data.activity.total, first.data.activity.total, 'the total does not change between pages');

    const merged = query.getCurrentResult().data.activity;
    assert.deepEqual(merged.items.map((i) => i.id), [...page1, ...page2].map((i) => i.id), 'the watched list is page 1 then page 2');
    assert.equal(merged.total, first.data.activity.total);
    assertItems(merged.items);
    assert.ok(!results.some((r) => r.error), `no error was delivered: ${show(results.filter((r) => r.error))}`);
  } finally {
    subscription.unsubscribe();
  }
});

test('the persisted-query link: the first run registers the query, the second sends only its hash, both succeed', async () => {
  const rec = recordingFetch();
  const link = createPersistedQueryLink({ sha256 }).concat(httpLink({ fetch: rec.fn }));
  const apollo = client(link);
  // A fresh document each run (an alias made of a UUID), so the server cannot know its hash yet.
  const query = gql(`query PersistedTotals($filter: ActivityFilter) {
    r${randomUUID().replaceAll('-', '')}: __typename
    activityInsights(filter: $filter) { totalActions }
    activity(filter: $filter) { total }
  }`);

  const run = async () => {
    const from = rec.sent.length;
    const { data, errors } = await apollo.query({ query, variables: YEAR, fetchPolicy: 'network-only' });
    assert.equal(errors, undefined);
    assert.ok(data.activityInsights.totalActions > 0);
    assert.equal(data.activity.total, data.activityInsights.totalActions);
    return { data, sent: rec.sent.slice(from) };
  };

  const first = await run();
  assert.equal(first.sent.length, 2, `hash alone (not found), then query and hash: ${show(first.sent.map((r) => r.body))}`);
  const [hashOnly, register] = first.sent.map((r) => r.body);
  const hash = hashOnly.extensions?.persistedQuery?.sha256Hash;
  assert.equal(hashOnly.query, undefined, 'the link first tries the hash alone');
  assert.ok(register.query?.includes('PersistedTotals'), 'then sends the query with it');
  assert.equal(register.extensions.persistedQuery.sha256Hash, hash);
  assert.equal(sha256(register.query), hash, 'the hash is the SHA-256 of the text sent');

  const second = await run();
  assert.equal(second.sent.length, 1, 'the second run needs one request');
  assert.equal(second.sent[0].body.query, undefined, 'the second run sends no query text');
  assert.equal(second.sent[0].body.extensions.persistedQuery.sha256Hash, hash);
  assert.deepEqual(second.data, first.data);
});

test('a hash the server has not seen gets PersistedQueryNotFound; once registered, the hash alone works', async () => {
  const text = `query RawPersisted { activity(filter: { timeframe: WEEK }) { total } } # ${randomUUID()}`;
  const persistedQuery = { version: 1, sha256Hash: sha256(text) };

  const unknown = await postGraphQL(gw, { extensions: { persistedQuery } });
  const error = unknown.body?.errors?.[0];
  assert.ok(
    error && (error.message === 'PersistedQueryNotFound' || error.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND'),
    `an unknown hash answers PersistedQueryNotFound, got ${unknown.status} ${show(unknown.body)}`,
  );
  assert.equal(unknown.body.data ?? null, null, 'nothing was executed');
  assert.ok(!('locations' in error), 'an error raised before execution has no locations');

  const registered = await postGraphQL(gw, { query: text, extensions: { persistedQuery } });
  assert.equal(registered.status, 200, show(registered.body));
  assert.equal(registered.body.errors, undefined, show(registered.body));
  assert.equal(typeof registered.body.data.activity.total, 'number');

  const byHash = await postGraphQL(gw, { extensions: { persistedQuery } });
  assert.equal(byHash.status, 200, show(byHash.body));
  assert.deepEqual(byHash.body, registered.body);
});

test('the batch link sends three queries in one HTTP request and each gets its own answer', async () => {
  const rec = recordingFetch();
  const link = new BatchHttpLink({ uri: gw.url, fetch: rec.fn, headers: { authorization: `Bearer ${gw.token}` }, batchMax: 5 });
  const apollo = client(link);
  const totals = gql(`query Totals($filter: ActivityFilter) {
    activityInsights(filter: $filter) { totalActions actionsPerDay { date } }
    activity(filter: $filter) { total }
  }`);
  const timeframes = ['WEEK', 'MONTH', 'QUARTER'];
  const results = await Promise.all(
    timeframes.map((timeframe) => apollo.query({ query: totals, variables: { filter: { timeframe } } })),
  );

  assert.equal(rec.sent.length, 1, 'one HTTP request');
  assert.ok(Array.isArray(rec.sent[0].body) && rec.sent[0].body.length === 3, `a JSON array of 3 operations: ${show(rec.sent[0].body)}`);
  const [week, month, quarter] = results.map((r) => {
    assert.equal(r.errors, undefined);
    assert.equal(r.data.activity.total, r.data.activityInsights.totalActions);
    return r.data;
  });
  assert.equal(week.activityInsights.actionsPerDay.length, 7, 'the WEEK answer went to the WEEK query');
  assert.ok(month.activityInsights.actionsPerDay.length >= 28 && month.activityInsights.actionsPerDay.length <= 31);
  assert.ok(quarter.activityInsights.actionsPerDay.length >= 89 && quarter.activityInsights.actionsPerDay.length <= 92);
  assert.ok(0 < week.activity.total && week.activity.total <= month.activity.total && month.activity.total <= quarter.activity.total);
});

test('a batch of 10 operations is answered in order; a batch of 11 is refused', async () => {
  const op = (n) => ({ query: `query N${n} { activity(page: { size: ${n} }) { size } }` });
  const ten = await postGraphQL(gw, Array.from({ length: 10 }, (_, i) => op(i + 1)));
  assert.equal(ten.status, 200, show(ten.body));
  assert.ok(Array.isArray(ten.body), `a JSON array answers a batch: ${show(ten.body)}`);
  assert.deepEqual(ten.body.map((r) => r.data?.activity?.size), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

  const eleven = await postGraphQL(gw, Array.from({ length: 11 }, (_, i) => op(i + 1)));
  assert.ok(eleven.status >= 400 && eleven.status < 500, `11 operations are a client error, got ${eleven.status} ${show(eleven.body)}`);
  assert.ok(!Array.isArray(eleven.body) && eleven.body.errors?.length > 0, show(eleven.body));
});
