// urql (@urql/core 6) with its defaults: short queries go out as GET.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, cacheExchange, fetchExchange } from '@urql/core';
import { startGateway, parseBody, show } from '../lib/gateway.mjs';
import { DASHBOARD, assertDashboard } from '../lib/dashboard.mjs';

let gw;
before(async () => {
  gw = await startGateway();
});
after(() => gw?.stop());

test('urql with its default exchanges runs the dashboard query as a GET and gets consistent data', async () => {
  const sent = [];
  const client = createClient({
    url: gw.url,
    exchanges: [cacheExchange, fetchExchange],
    fetchOptions: { headers: { authorization: `Bearer ${gw.token}` } },
    fetch: (input, init = {}) => {
      sent.push({ method: init.method ?? 'GET', url: String(input), accept: new Headers(init.headers).get('accept') });
      return fetch(input, init);
    },
  });
  const variables = { filter: { timeframe: 'YEAR' }, page: { page: 1, size: 20 } };
  const result = await client.query(DASHBOARD, variables).toPromise();

  assert.equal(sent.length, 1);
  assert.equal(sent[0].method, 'GET', 'urql sends a short query as GET');
  const params = new URL(sent[0].url).searchParams;
  assert.ok(params.get('query').includes('activityInsights'), 'the document is in the query string');
  assert.equal(result.error, undefined, `no error: ${result.error?.message} ${show(result.error?.response ?? '')}`);
  assertDashboard(result.data, { timeframe: 'YEAR', page: 1, size: 20 });
});

test('GET /graphql?query={__typename} with Accept application/json answers {"data":{"__typename":"Query"}} as JSON', async () => {
  const res = await fetch(`${gw.url}?query=${encodeURIComponent('{__typename}')}`, {
    headers: { accept: 'application/json', authorization: `Bearer ${gw.token}` },
  });
  const body = await parseBody(res);
  assert.equal(res.status, 200, show(body));
  assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/);
  assert.deepEqual(body, { data: { __typename: 'Query' } });
});
