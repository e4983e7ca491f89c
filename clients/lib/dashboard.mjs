// The dashboard query of the README and the checks every client runs on its answer.
import assert from 'node:assert/strict';

export const DASHBOARD = `query Dashboard($filter: ActivityFilter, $page: PageInput) {
  activityInsights(filter: $filter) {
    totalActions uniqueActors
    topActor { id name userName email actionCount }
    topEntityType { objectType count }
    actionsPerDay { date userCount systemCount }
  }
  activity(filter: $filter, page: $page) {
    total page size pages
    items { id verb objectType objectId transaction { id issuedAt user { id name userName email } } }
  }
}`;

// The demo seeds 40,000 activities over the year up to now (UTC), by 48 users.
export const DEMO_ACTIVITIES = 40_000;
export const DEMO_USERS = 48;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const DAYS = { WEEK: [7], YEAR: [365, 366] };

const utcDate = (offsetDays = 0) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

/**
 * Checks a Dashboard answer for a window of `timeframe` ending today (UTC, offset 0), page `page`
 * of `size` items: cards, chart and list agree, ids are strings, the list is newest first.
 */
export function assertDashboard(data, { timeframe = 'YEAR', page = 1, size = 20 } = {}) {
  assert.ok(data, 'the answer has data');
  const { activityInsights: ins, activity: list } = data;

  // Cards and chart.
  assert.equal(typeof ins.totalActions, 'number');
  assert.ok(ins.totalActions > 0, `totalActions > 0 (got ${ins.totalActions})`);
  if (timeframe === 'YEAR') {
    // All but at most the seed's first day falls in the window.
    assert.ok(ins.totalActions > DEMO_ACTIVITIES * 0.9 && ins.totalActions <= DEMO_ACTIVITIES,
      `a YEAR holds (nearly) all ${DEMO_ACTIVITIES} seeded activities, got ${ins.totalActions}`);
  }
  assert.ok(ins.uniqueActors >= 1 && ins.uniqueActors <= DEMO_USERS, `uniqueActors in 1..${DEMO_USERS}: ${ins.uniqueActors}`);
  assert.ok(ins.topActor, 'there is a top actor');
  assert.ok(ins.topActor.actionCount > 0 && ins.topActor.actionCount <= ins.totalActions);
  assert.ok(ins.topEntityType && ins.topEntityType.count > 0 && ins.topEntityType.count <= ins.totalActions);

  const days = ins.actionsPerDay;
  if (DAYS[timeframe]) assert.ok(DAYS[timeframe].includes(days.length), `${timeframe} has ${DAYS[timeframe]} days, got ${days.length}`);
  for (const d of days) assert.match(d.date, DATE);
  for (let i = 1; i < days.length; i++) assert.ok(days[i - 1].date < days[i].date, 'actionsPerDay is oldest first');
  assert.ok([utcDate(-1), utcDate(0)].includes(days.at(-1).date), `the window ends today (UTC): ${days.at(-1).date}`);
  const perDay = days.reduce((sum, d) => sum + d.userCount + d.systemCount, 0);
  assert.equal(perDay, ins.totalActions, 'actionsPerDay sums to totalActions');

  // The list, on the same filter.
  assert.equal(list.total, ins.totalActions, 'activity.total equals activityInsights.totalActions');
  assert.equal(list.page, page);
  assert.equal(list.size, size);
  assert.equal(list.pages, Math.ceil(list.total / size));
  assert.equal(list.items.length, Math.min(size, Math.max(0, list.total - (page - 1) * size)));
  assertItems(list.items);
}

/** Activity items: string ids (Activity, Transaction, User), UTC DateTimes, newest first, no duplicates. */
export function assertItems(items) {
  for (const item of items) {
    assert.equal(typeof item.id, 'string', `Activity.id is an ID (string): ${JSON.stringify(item.id)}`);
    assert.equal(typeof item.transaction.id, 'string', `Transaction.id is an ID (string): ${JSON.stringify(item.transaction.id)}`);
    if (item.transaction.user) {
      assert.equal(typeof item.transaction.user.id, 'string', `User.id is an ID (string): ${JSON.stringify(item.transaction.user.id)}`);
    }
    assert.ok(item.verb.length > 0 && item.objectType.length > 0);
    assert.match(item.transaction.issuedAt, DATE_TIME_UTC);
  }
  for (let i = 1; i < items.length; i++) {
    assert.ok(items[i - 1].transaction.issuedAt >= items[i].transaction.issuedAt, 'items are newest first');
  }
  assert.equal(new Set(items.map((i) => i.id)).size, items.length, 'no item twice on a page');
}
