// graphql-http's server audits: the GraphQL-over-HTTP working draft, MUST and SHOULD.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serverAudits } from 'graphql-http';
import { startGateway } from '../lib/gateway.mjs';

let gw;
before(async () => {
  gw = await startGateway();
});
after(() => gw?.stop());

/** The audit's fetch, plus the token; init.headers may be a Headers, an array of pairs or a plain object. */
const withToken = (token) => (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

async function describeFailure(result) {
  let body = '';
  try {
    body = result.response ? `${result.response.status} ${(await result.response.clone().text()).slice(0, 300)}` : '';
  } catch {
    // the audit consumed the body
    body = result.response ? String(result.response.status) : '';
  }
  return `  [${result.id}] ${result.name}\n      reason: ${result.reason}${body ? `\n      response: ${body}` : ''}`;
}

test('graphql-http server audits: every MUST and every SHOULD passes', async () => {
  const audits = serverAudits({ url: gw.url, fetchFn: withToken(gw.token) });
  const results = [];
  for (const audit of audits) {
    try {
      results.push(await audit.fn());
    } catch (error) {
      // graphql-http throws only for fatal problems (a network error, a body that is not JSON where JSON is due).
      results.push({ id: audit.id, name: audit.name, status: 'error', reason: `threw: ${error?.message ?? error}` });
    }
  }

  const levels = {};
  for (const r of results) {
    const level = r.name.split(' ')[0];
    levels[level] ??= { ok: 0, total: 0, failed: [] };
    levels[level].total += 1;
    if (r.status === 'ok') levels[level].ok += 1;
    else levels[level].failed.push(r);
  }
  const summary = ['MUST', 'SHOULD', 'MAY'].filter((l) => levels[l]).map((l) => `${l} ${levels[l].ok}/${levels[l].total}`);
  console.log(`graphql-http audit: ${summary.join(', ')}`);
  for (const r of levels.MAY?.failed ?? []) console.log(`  (optional, not required) [${r.id}] ${r.name}: ${r.reason}`);

  assert.ok(levels.MUST?.total > 0 && levels.SHOULD?.total > 0, 'the audits ran');
  const failed = [...(levels.MUST?.failed ?? []), ...(levels.SHOULD?.failed ?? [])];
  const details = await Promise.all(failed.map(describeFailure));
  assert.equal(failed.length, 0, `graphql-http audit: ${summary.join(', ')}; failing:\n${details.join('\n')}`);
});
