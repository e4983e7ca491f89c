// Screenshots of the signed-in page with the dashboard drawn, at 1440 px and 375 px, light and
// dark, written to target/web-e2e/ (CI keeps them). At 375 px nothing may overflow sideways.

import path from 'node:path';
import { ARTIFACTS } from './support/gateway';
import { expect, test } from './support/fixtures';

for (const width of [1440, 375]) {
  for (const scheme of ['light', 'dark'] as const) {
    test.describe(`${String(width)} px, ${scheme}`, () => {
      test.use({ viewport: { width, height: width > 800 ? 900 : 812 }, colorScheme: scheme });

      test(`screenshot: audit page at ${String(width)} px, ${scheme}`, async ({ audit, page }) => {
        await audit.open();
        await audit.signIn();
        await audit.expectDrawn();
        await expect(page.getByRole('status')).toHaveText('');
        // The page itself never scrolls sideways (the log's table scrolls in its own region).
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        const file = path.join(ARTIFACTS, `audit-page-${String(width)}${scheme === 'dark' ? '-dark' : ''}.png`);
        await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
      });
    });
  }
}
