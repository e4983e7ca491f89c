// "Export CSV": the rows of the page's filter, every page of them, in the file the gateway names.

import fs from 'node:fs';
import { expect, test } from './support/fixtures';

const HEADER =
  'activity_id,issued_at,local_time,user_id,user_name,name,email,is_internal,verb,object_type,object_id,transaction_id,remote_addr';

test('Export CSV downloads as many rows as the log counts for the filter on screen', async ({ audit, page }) => {
  await audit.open();
  await audit.signIn();
  await audit.change(() => audit.timeframe.selectOption('week'));
  const total = Number((await audit.logTotal.textContent())?.replace(/\D/g, ''));
  expect(total).toBeGreaterThan(50);

  const button = page.getByRole('button', { name: 'Export CSV' });
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  expect(download.suggestedFilename()).toMatch(/^activity-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv$/);
  const text = fs.readFileSync(await download.path(), 'utf8');
  const lines = text.trimEnd().split('\r\n');
  expect(lines[0]).toBe(HEADER);
  // Every row of the window, not the page's 50.
  expect(lines.length - 1).toBe(total);
  await expect(button).toBeEnabled();
  expect(audit.calls.filter((call) => call.operation !== 'Dashboard')).toEqual([]);
});
