// Cursor pages with Apollo Client's own relayStylePagination: fetchMore walks the connection and
// the cache merges the edges into one list in the order of the offset pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
// Apollo Client 3 has no "exports" map: Node's ESM resolver needs the file paths.
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client/core/index.js';
import { relayStylePagination } from '@apollo/client/utilities/index.js';
import { startGateway, postGraphQL } from '../lib/gateway.mjs';
// Apollo's warnings in words rather than as links.
import { loadErrorMessages, loadDevMessages } from '@apollo/client/dev/index.js';

loadDevMessages();
loadErrorMessages();

const CONNECTION = gql`
  query Activity($filter: ActivityFilter, $first: Int, $after: String) {
    activityConnection(filter: $filter, first: $first, after: $after) {
      totalCount
      edges { cursor node { id verb transaction { id issuedAt } } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

let gw;
before(async () => {
  gw = await startGateway();
});
after(() => gw?.stop());

test('relayStylePagination with fetchMore walks the week page by page in the list order', async () => {
  const apollo = new ApolloClient({
    link: new HttpLink({ uri: gw.url, fetch, headers: { authorization: `Bearer ${gw.token}` } }),
    cache: new InMemoryCache({
      typePolicies: { Query: { fields: { activityConnection: relayStylePagination(['filter']) } } },
    }),
  });
  const filter = { timeframe: 'WEEK' };
  const first = await apollo.query({ query: CONNECTION, variables: { filter, first: 25 } });
  const total = first.data.activityConnection.totalCount;
  assert.ok(total > 50, `a week of the demo has more than two pages (${total})`);
  // The first page is in the cache now: the watch starts from it.
  const watch = apollo.watchQuery({ query: CONNECTION, variables: { filter, first: 25 } });
  let result = watch.getCurrentResult();
  let pages = 1;
  while (result.data.activityConnection.pageInfo.hasNextPage) {
    result = await watch.fetchMore({ variables: { after: result.data.activityConnection.pageInfo.endCursor } });
    result = watch.getCurrentResult();
    pages += 1;
    assert.ok(pages < 100, 'the walk ends');
  }
  const ids = result.data.activityConnection.edges.map((edge) => edge.node.id);
  assert.equal(ids.length, total, 'every row once');
  assert.equal(new Set(ids).size, total, 'no row twice');

  // The same rows, in the same order, as the numbered pages of `activity` give them.
  const numbered = [];
  for (let page = 1; numbered.length < total; page += 1) {
    const { body } = await postGraphQL(gw, {
      query: 'query($f: ActivityFilter, $p: PageInput) { activity(filter: $f, page: $p) { items { id } } }',
      variables: { f: filter, p: { page, size: 100 } },
    });
    numbered.push(...body.data.activity.items.map((item) => item.id));
  }
  assert.deepEqual(ids, numbered);
});
