// The GraphiQL playground in headless Chromium: served by the binary alone, ready for the dashboard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'graphql';
import puppeteer from 'puppeteer-core';
import { startGateway } from '../lib/gateway.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = '/tmp/playground.png';
const WAIT = { timeout: 30_000 };

let gw;
let browser;
before(async () => {
  gw = await startGateway();
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--headless=new',
      // Belt and braces: no name but 127.0.0.1 resolves, whatever the page or the browser tries.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
    protocolTimeout: 120_000,
  });
});
after(async () => {
  await browser?.close();
  await gw?.stop();
});

/** The text of the CodeMirror 5 editor under `selector` (GraphiQL 4 keeps the instance on the element). */
const editorValue = (page, selector) =>
  page.$eval(selector, (el) => el.CodeMirror.getValue());

/** Waits for fn(args) in the page; on timeout, fails with what `describe` says about the page. */
async function waitFor(page, what, fn, args, describe) {
  try {
    await page.waitForFunction(fn, WAIT, ...args);
  } catch (error) {
    const state = describe ? await describe().catch((e) => `(could not read the page: ${e.message})`) : '';
    throw new Error(`timed out waiting for ${what}: ${error.message}\n${state}`);
  }
}

test('GraphiQL loads from the gateway alone, starts with the token template and the dashboard, runs it and shows the docs', async () => {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  const ownHost = `127.0.0.1:${gw.port}`;
  const blocked = [];
  const allowed = [];
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.host === ownHost || url.protocol === 'data:' || url.protocol === 'blob:') {
      allowed.push({ method: request.method(), url: request.url(), headers: request.headers(), body: request.postData() });
      request.continue();
    } else {
      blocked.push(request.url());
      request.abort('blockedbyclient');
    }
  });

  try {
    const response = await page.goto(`http://${ownHost}/graphql`, { waitUntil: 'load', timeout: 60_000 });
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'] ?? '', /^text\/html/);

    const pageState = async () =>
      `page errors: ${JSON.stringify(pageErrors)}\nblocked: ${JSON.stringify(blocked)}\nbody: ${(await page.evaluate(() => document.body.innerText)).slice(0, 500)}`;

    // Without a token: a sign-in that says how to get one, and nothing asked of the API that
    // would only fail.
    await waitFor(page, 'the sign-in', () => document.querySelector('form.sign-in input#token'), [], pageState);
    const intro = await page.evaluate(() => document.querySelector('form.sign-in').innerText);
    assert.match(intro, /API token/);
    assert.match(intro, /audit-gateway token create/);
    assert.equal(allowed.filter((r) => r.method === 'POST').length, 0, 'no request to the API without a token');
    await page.type('#token', gw.token);
    await page.click('form.sign-in button[type="submit"]');

    await waitFor(page, 'GraphiQL to render', () => document.querySelector('.graphiql-container'), [], pageState);
    await waitFor(page, 'the query editor', () => document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror, [], pageState);

    // The default document is the dashboard query.
    const queryText = await editorValue(page, '.graphiql-query-editor .CodeMirror');
    assert.match(queryText, /Dashboard/);
    const operation = parse(queryText).definitions.find((d) => d.kind === 'OperationDefinition' && d.name?.value === 'Dashboard');
    assert.ok(operation, `the query editor holds the Dashboard operation:\n${queryText}`);
    assert.deepEqual(operation.selectionSet.selections.map((s) => s.name.value).sort(), ['activity', 'activityInsights']);

    // The headers pane (behind its tab in the editor tools) holds the token, and the schema was
    // fetched with it: no "Re-fetch GraphQL schema" needed.
    await page.click('.graphiql-editor-tools button[data-name="headers"]');
    const headersEditor = '.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror';
    await waitFor(page, 'the headers editor', (s) => document.querySelector(s)?.CodeMirror, [headersEditor], pageState);
    const headers = JSON.parse(await editorValue(page, headersEditor));
    assert.equal(headers.Authorization, `Bearer ${gw.token}`);
    let introspection;
    for (let waited = 0; !introspection && waited < WAIT.timeout; waited += 100) {
      introspection = allowed.find((r) => r.method === 'POST' && r.body?.includes('__schema'));
      if (!introspection) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(introspection, 'GraphiQL introspected');
    assert.equal(introspection.headers.authorization, `Bearer ${gw.token}`, 'with the token');

    // Run it; the answer lands in the result pane.
    await page.click('.graphiql-execute-button');
    const result = '.result-window .CodeMirror';
    await waitFor(
      page,
      'the dashboard answer',
      (s) => {
        const text = document.querySelector(s)?.CodeMirror?.getValue() ?? '';
        return text.includes('"errors"') || text.includes('totalActions');
      },
      [result],
      async () => `result pane: ${await editorValue(page, result).catch(() => '(none)')}\n${await pageState()}`,
    );
    const answer = JSON.parse(await editorValue(page, result));
    assert.equal(answer.errors, undefined, `the playground's request succeeded: ${JSON.stringify(answer).slice(0, 500)}`);
    assert.ok(answer.data.activityInsights.totalActions > 0);
    // (Without variables the cards default to a MONTH and the list to all time: their totals differ.)
    assert.ok(answer.data.activity.items.length > 0);
    const sent = allowed.find((r) => r.method === 'POST' && r.body?.includes('Dashboard'));
    assert.ok(sent, 'the playground POSTed the dashboard query');
    assert.equal(sent.headers.authorization, `Bearer ${gw.token}`, 'with the token from the headers pane');

    // The docs explorer has the schema: Query and its fields.
    const docsButton = 'button[aria-label="Show Documentation Explorer"]';
    await page.waitForSelector(docsButton, WAIT);
    await page.click(docsButton);
    await waitFor(page, 'the docs explorer to list Query',
      () => [...document.querySelectorAll('.graphiql-doc-explorer a')].some((a) => a.textContent === 'Query'), [], pageState);
    await page.evaluate(() => [...document.querySelectorAll('.graphiql-doc-explorer a')].find((a) => a.textContent === 'Query').click());
    await waitFor(page, 'Query.activityInsights in the docs',
      () => document.querySelector('.graphiql-doc-explorer')?.innerText.includes('activityInsights'), [], pageState);

    assert.deepEqual(blocked, [], 'no request left 127.0.0.1');
    assert.deepEqual(pageErrors, [], 'no uncaught error in the page');
  } finally {
    await page.screenshot({ path: SCREENSHOT, fullPage: true }).catch(() => {});
    if (blocked.length) console.log(`requests to other hosts (aborted): ${blocked.join(', ')}`);
    await page.close();
  }
});

test('after signing in on the audit page, the playground starts with the token and the docs, no sign-in asked', async () => {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // What the audit page leaves in the tab's sessionStorage when an administrator signs in.
  await page.evaluateOnNewDocument((token) => sessionStorage.setItem('audit-gateway.token', token), gw.token);
  try {
    await page.goto(`http://127.0.0.1:${gw.port}/graphql`, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForSelector('.graphiql-container', WAIT);
    assert.equal(await page.$('form.sign-in'), null, 'no sign-in form');
    const docsButton = 'button[aria-label="Show Documentation Explorer"]';
    await page.waitForSelector(docsButton, WAIT);
    await page.click(docsButton);
    await page.waitForFunction(
      () => [...document.querySelectorAll('.graphiql-doc-explorer a')].some((a) => a.textContent === 'Query'), WAIT);
    assert.deepEqual(pageErrors, [], 'no uncaught error in the page');
  } finally {
    await page.close();
  }
});
