// Prints "# pass N" and "# fail N" at the end of a run, the closing lines the CI script already
// adds up for node's test runner, so the browser suite's counts join the others.

import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';

export default class SummaryReporter implements Reporter {
  private passed = 0;
  private failed = 0;

  onTestEnd(test: TestCase, result: TestResult): void {
    // Count each test once, by its final outcome (no retries are configured, but be exact).
    if (result.retry < test.retries && result.status !== 'passed' && result.status !== 'skipped') return;
    if (result.status === 'passed') this.passed += 1;
    else if (result.status !== 'skipped') this.failed += 1;
  }

  onEnd(): void {
    console.log(`# pass ${String(this.passed)}`);
    console.log(`# fail ${String(this.failed)}`);
  }

  printsToStdio(): boolean {
    return true;
  }
}
