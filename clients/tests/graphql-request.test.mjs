// graphql-request 7: GraphQLClient.request, its errors, and ID arguments.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { GraphQLClient, ClientError } from 'graphql-request';
import { startGateway, show } from '../lib/gateway.mjs';
import { DASHBOARD, assertDashboard } from '../lib/dashboard.mjs';

let gw;
let client;
before(async () => {
  gw = await startGateway();
  client = new GraphQLClient(gw.url, { headers: { authorization: `Bearer ${gw.token}` } });
});
after(() => gw?.stop());

test('GraphQLClient.request runs the dashboard query and gets consistent data', async () => {
  const data = await client.request(DASHBOARD, { filter: { timeframe: 'YEAR' }, page: { page: 1, size: 20 } });
  assertDashboard(data, { timeframe: 'YEAR', page: 1, size: 20 });
});

/** The ClientError a request rejects with. */
async function rejection(promise) {
  try {
    const data = await promise;
    assert.fail(`expected the request to fail, got ${show(data)}`);
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    return error;
  }
}

test('a bad enum value in the variables (timeframe: DECADE) rejects with 400 and BAD_USER_INPUT', async () => {
  const error = await rejection(client.request(DASHBOARD, { filter: { timeframe: 'DECADE' } }));
  const { response } = error;
  assert.equal(response.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', show(response));
  // graphql-request asks for application/graphql-response+json: variable coercion failures are 400.
  assert.equal(response.status, 400, show(response));
  assert.equal(response.data, undefined, 'nothing was executed');
});

test('a bad enum literal in the document (timeframe: DECADE) rejects with 400 and BAD_USER_INPUT', async () => {
  const error = await rejection(client.request('{ activityInsights(filter: { timeframe: DECADE }) { totalActions } }'));
  const { response } = error;
  assert.equal(response.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', show(response));
  assert.equal(response.status, 400, show(response));
  assert.equal(response.data, undefined, 'validation failures carry no data');
});

test("the filter's users take IDs as strings or as integers, with the same answer", async () => {
  const { activityInsights: all } = await client.request(
    'query { activityInsights(filter: { timeframe: YEAR }) { totalActions topActor { id actionCount } } }',
  );
  // The contract makes Activity, Transaction and User ids IDs; TopActor.id may be either.
  const id = String(all.topActor.id);
  assert.match(id, /^\d+$/, 'the demo ids are numeric');

  const byUsers = (users) =>
    client.request(
      `query($filter: ActivityFilter) {
        activityInsights(filter: $filter) { totalActions uniqueActors topActor { id } }
        activity(filter: $filter, page: { size: 5 }) { total items { transaction { user { id } } } }
      }`,
      { filter: { timeframe: 'YEAR', users: [users] } },
    );
  const asString = await byUsers(id);
  const asInt = await byUsers(Number(id));
  for (const data of [asString, asInt]) {
    assert.equal(data.activityInsights.totalActions, all.topActor.actionCount, "one user's actions are that user's actionCount");
    assert.equal(data.activity.total, all.topActor.actionCount);
    assert.ok(data.activityInsights.uniqueActors <= 1, 'one user at most (none if internal)');
    assert.equal(String(data.activityInsights.topActor.id), id);
    assert.ok(data.activity.items.length === 5 && data.activity.items.every((i) => i.transaction.user.id === id));
  }
  assert.deepEqual(asInt, asString);

  // An integer literal in the document is an ID too.
  const literal = await client.request(`{ activity(filter: { timeframe: YEAR, users: [${Number(id)}] }) { total } }`);
  assert.equal(literal.activity.total, all.topActor.actionCount);
});
