// The HTTP and error contract, with plain fetch: media types, GET, error shapes, the playground page, CORS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startGateway, postGraphQL, parseBody, show } from '../lib/gateway.mjs';

const GRAPHQL_RESPONSE = 'application/graphql-response+json';
const mediaType = (res) => (res.headers.get('content-type') ?? '').split(';')[0].trim();

let gw;
before(async () => {
  gw = await startGateway();
});
after(() => gw?.stop());

const post = (payload, accept) => postGraphQL(gw, payload, { headers: { accept } });

test('the response media type follows Accept: graphql-response+json, application/json, */*', async () => {
  for (const [accept, expected] of [
    [GRAPHQL_RESPONSE, GRAPHQL_RESPONSE],
    ['application/json', 'application/json'],
    ['*/*', 'application/json'],
  ]) {
    const res = await post({ query: '{ __typename }' }, accept);
    assert.equal(res.status, 200, show(res.body));
    assert.equal(mediaType(res), expected, `Accept: ${accept}`);
    assert.deepEqual(res.body, { data: { __typename: 'Query' } });
  }
});

test('a POST without any Accept header gets application/json', async () => {
  // fetch always adds Accept: */*, so this one goes through node:http.
  const { status, type, body } = await new Promise((resolve, reject) => {
    const req = http.request(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.token}` },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (s) => (text += s)).on('end', () =>
        resolve({ status: res.statusCode, type: (res.headers['content-type'] ?? '').split(';')[0], body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ query: '{ __typename }' }));
  });
  assert.equal(status, 200, body);
  assert.equal(type, 'application/json');
  assert.deepEqual(JSON.parse(body), { data: { __typename: 'Query' } });
});

test('with graphql-response+json, parse, validation and variable coercion failures are 400 without data', async () => {
  const cases = {
    parse: { query: '{ activity { total ' },
    validation: { query: '{ activityInsights(filter: { timeframe: DECADE }) { totalActions } }' },
    'unknown field': { query: '{ nope }' },
    'variable coercion': {
      query: 'query($filter: ActivityFilter) { activity(filter: $filter) { total } }',
      variables: { filter: { timeframe: 'DECADE' } },
    },
  };
  for (const [name, payload] of Object.entries(cases)) {
    const res = await post(payload, GRAPHQL_RESPONSE);
    assert.equal(res.status, 400, `${name}: ${show(res.body)}`);
    assert.equal(mediaType(res), GRAPHQL_RESPONSE, name);
    assert.ok(!('data' in res.body), `${name}: no data key: ${show(res.body)}`);
    assert.ok(res.body.errors?.length > 0, name);
    assert.equal(res.body.errors[0].extensions?.code, 'BAD_USER_INPUT', `${name}: ${show(res.body)}`);
  }
});

test('GET runs a query from query, variables and operationName', async () => {
  const document = `
    query Week($filter: ActivityFilter) { activity(filter: $filter) { total } activityInsights(filter: $filter) { totalActions } }
    query Other { __typename }`;
  const params = new URLSearchParams({
    query: document,
    variables: JSON.stringify({ filter: { timeframe: 'WEEK' } }),
    operationName: 'Week',
  });
  const res = await fetch(`${gw.url}?${params}`, { headers: { accept: GRAPHQL_RESPONSE, authorization: `Bearer ${gw.token}` } });
  const body = await parseBody(res);
  assert.equal(res.status, 200, show(body));
  assert.equal(mediaType(res), GRAPHQL_RESPONSE);
  assert.equal(body.errors, undefined, show(body));
  assert.ok(body.data.activity.total > 0, show(body));
  assert.equal(body.data.activity.total, body.data.activityInsights.totalActions);
});

test('a browser navigation to GET /graphql gets the playground page without a token, and it names no other host', async () => {
  const res = await fetch(gw.url, {
    headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
  });
  const html = await res.text();
  assert.equal(res.status, 200, html.slice(0, 300));
  assert.equal(mediaType(res), 'text/html');
  assert.match(html, /graphiql/i);
  // What the page itself loads: <script src>, <link href>, <img src>, … (a plain <a href> loads nothing).
  const external = [...html.matchAll(/<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)\s*=\s*["']?((?:https?:)?\/\/[^"'\s>]+)/gi)]
    .map((m) => m[1])
    .filter((u) => !/^(?:https?:)?\/\/127\.0\.0\.1(?::|\/|$)/.test(u));
  assert.deepEqual(external, [], 'the page loads nothing from another host');
});

test('a failing non-null field nulls its parent up to data: null; the error has its path', async () => {
  // Both ends of the window are checked in the resolver: a timeframe with a startDate is refused there.
  const res = await post(
    { query: '{ __typename activityInsights(filter: { startDate: "2026-01-01", timeframe: WEEK }) { totalActions } }' },
    GRAPHQL_RESPONSE,
  );
  assert.equal(res.status, 200, show(res.body));
  assert.ok('data' in res.body, 'execution started, so data is present');
  assert.equal(res.body.data, null, `activityInsights is non-null: its failure nulls data: ${show(res.body)}`);
  assert.equal(res.body.errors.length, 1, show(res.body));
  const [error] = res.body.errors;
  assert.deepEqual(error.path, ['activityInsights']);
  assert.equal(error.extensions?.code, 'BAD_USER_INPUT');
  assert.ok(Array.isArray(error.locations) && error.locations.length > 0, 'a field error points into the document');
});

test('errors raised before execution (document too large, no token) carry no locations and no data', async () => {
  const big = await post({ query: `# ${'x'.repeat(70_000)}\n{ __typename }` }, GRAPHQL_RESPONSE);
  assert.equal(big.status, 400, show(big.body));
  assert.ok(!('data' in big.body), `no data key: ${show(big.body)}`);
  assert.equal(big.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', show(big.body));
  for (const e of big.body.errors) assert.ok(!('locations' in e), `no locations: ${show(e)}`);

  const anonymous = await postGraphQL(gw, { query: '{ __typename }' }, { token: null });
  assert.equal(anonymous.status, 401, show(anonymous.body));
  assert.equal(anonymous.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', show(anonymous.body));
  assert.equal(anonymous.body.data ?? null, null);
  for (const e of anonymous.body.errors) assert.ok(!('locations' in e), `no locations: ${show(e)}`);
});

const preflight = (url, origin) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    },
  });

test('CORS is off by default: no Access-Control-Allow-Origin, on a preflight or a request', async () => {
  const pre = await preflight(gw.url, 'http://app.example');
  assert.equal(pre.headers.get('access-control-allow-origin'), null, `preflight answered ${pre.status}`);
  const res = await postGraphQL(gw, { query: '{ __typename }' }, { headers: { origin: 'http://app.example' } });
  assert.equal(res.headers.get('access-control-allow-origin'), null);
});

test('--cors-allow-origin lets that origin (and only it) call with a token', async () => {
  const origin = 'http://app.example';
  const cors = await startGateway({ extraArgs: ['--cors-allow-origin', origin] });
  try {
    const pre = await preflight(cors.url, origin);
    assert.ok(pre.status >= 200 && pre.status < 300, `preflight status ${pre.status}`);
    assert.equal(pre.headers.get('access-control-allow-origin'), origin);
    const allowHeaders = (pre.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    assert.match(allowHeaders, /authorization/, `allow-headers: ${allowHeaders}`);
    assert.match(allowHeaders, /content-type/, `allow-headers: ${allowHeaders}`);
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/i);

    const res = await postGraphQL(cors, { query: '{ __typename }' }, { headers: { origin } });
    assert.equal(res.status, 200, show(res.body));
    assert.equal(res.headers.get('access-control-allow-origin'), origin);

    const other = await preflight(cors.url, 'http://other.example');
    assert.notEqual(other.headers.get('access-control-allow-origin'), 'http://other.example');
    assert.notEqual(other.headers.get('access-control-allow-origin'), '*');
  } finally {
    await cors.stop();
  }
});
