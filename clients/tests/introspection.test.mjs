// graphql-js 16's introspection query, in every option set, against schema.graphql.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  GraphQLSchema,
  Kind,
  buildClientSchema,
  buildSchema,
  findBreakingChanges,
  findDangerousChanges,
  getIntrospectionQuery,
  isSpecifiedDirective,
  lexicographicSortSchema,
  parse,
  printSchema,
} from 'graphql';
import { startGateway, postGraphQL, show, SCHEMA_PATH } from '../lib/gateway.mjs';

const OPTIONS = ['descriptions', 'specifiedByUrl', 'directiveIsRepeatable', 'schemaDescription', 'inputValueDeprecation', 'oneOf'];
// All 64 combinations, as option objects with every key set.
const COMBINATIONS = Array.from({ length: 2 ** OPTIONS.length }, (_, bits) =>
  Object.fromEntries(OPTIONS.map((name, i) => [name, Boolean(bits & (1 << i))])),
);
const label = (options) => OPTIONS.filter((o) => options[o]).join('+') || '(all off)';

let gw;
before(async () => {
  gw = await startGateway();
});
after(() => gw?.stop());

const introspect = (options) => postGraphQL(gw, { query: getIntrospectionQuery(options) });

test('all 64 option sets of getIntrospectionQuery() are answered without errors and build a client schema', async () => {
  const failures = [];
  for (const options of COMBINATIONS) {
    const { status, body } = await introspect(options);
    try {
      assert.equal(status, 200);
      assert.equal(body.errors, undefined);
      const schema = buildClientSchema(body.data);
      assert.ok(schema.getQueryType()?.getFields().activityInsights, 'Query.activityInsights is there');
    } catch (error) {
      failures.push(`${label(options)}: ${error.message.split('\n')[0]} — HTTP ${status} ${show(body).slice(0, 300)}`);
    }
  }
  assert.deepEqual(failures, [], `${failures.length}/${COMBINATIONS.length} option sets failed:\n${failures.join('\n')}`);
});

test('introspection needs a token', async () => {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: getIntrospectionQuery() }),
  });
  const body = await res.json();
  assert.equal(res.status, 401, show(body));
  assert.equal(body.data ?? null, null);
  assert.equal(body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', show(body));
});

// The all-options-on answer, fetched once for the tests below.
let served;
async function servedSchema() {
  if (!served) {
    const { status, body } = await introspect(Object.fromEntries(OPTIONS.map((o) => [o, true])));
    assert.equal(status, 200, show(body));
    assert.equal(body.errors, undefined, show(body));
    served = buildClientSchema(body.data);
  }
  return served;
}

/**
 * The schema without the built-in directives that schema.graphql does not declare: buildSchema
 * fills those in from this graphql-js version (16.15's @deprecated also allows
 * DIRECTIVE_DEFINITION), so they say nothing about the gateway. printSchema omits them too.
 */
function withoutUndeclaredBuiltIns(schema, sdl) {
  const declared = new Set(
    parse(sdl).definitions.filter((d) => d.kind === Kind.DIRECTIVE_DEFINITION).map((d) => d.name.value),
  );
  const directives = schema.getDirectives().filter((d) => !isSpecifiedDirective(d) || declared.has(d.name));
  return new GraphQLSchema({ ...schema.toConfig(), directives });
}

test('the introspected schema (all options on) prints exactly like schema.graphql, with no breaking or dangerous change', async () => {
  const sdl = fs.readFileSync(SCHEMA_PATH, 'utf8');
  const file = withoutUndeclaredBuiltIns(buildSchema(sdl), sdl);
  const server = withoutUndeclaredBuiltIns(await servedSchema(), sdl);
  assert.equal(printSchema(lexicographicSortSchema(server)), printSchema(lexicographicSortSchema(file)));
  assert.deepEqual(findBreakingChanges(file, server).map((c) => c.description), []);
  assert.deepEqual(findDangerousChanges(file, server).map((c) => c.description), []);
});

test('Date and DateTime carry a description and a @specifiedBy URL', async () => {
  const server = await servedSchema();
  for (const name of ['Date', 'DateTime']) {
    const scalar = server.getType(name);
    assert.ok(scalar, `${name} exists`);
    assert.ok(scalar.description?.trim(), `${name} has a description`);
    assert.ok(scalar.specifiedByURL, `${name} has a specifiedByURL`);
    assert.doesNotThrow(() => new URL(scalar.specifiedByURL), `${name}'s specifiedByURL is a URL: ${scalar.specifiedByURL}`);
  }
});

test('Activity, Transaction and User ids are ID!, and the filter takes users as [ID!]', async () => {
  const server = await servedSchema();
  for (const type of ['Activity', 'Transaction', 'User']) {
    assert.equal(String(server.getType(type).getFields().id.type), 'ID!', `${type}.id`);
  }
  assert.equal(String(server.getType('ActivityFilter').getFields().users.type), '[ID!]', 'ActivityFilter.users');
});
