// The page's "Export CSV": the filter the page shows, as the export endpoint's query string, and
// the download itself (the token travels in a header, which a plain link cannot carry).

import { problemOf, RequestProblem } from './api';
import type { Filter } from './filter';
import { filterInput } from './variables';

export const EXPORT_ENDPOINT = '/api/activity/export';

/** The export's query string for the page's filter: the same window and fields the log shows. */
export function exportQuery(filter: Filter, today: string): string {
  const input = filterInput(filter, today);
  const params = new URLSearchParams({ format: 'csv' });
  if (input.timeframe) params.set('timeframe', input.timeframe.toLowerCase());
  if (input.startDate) params.set('start_date', input.startDate);
  if (input.endDate) params.set('end_date', input.endDate);
  if (input.timeZone) params.set('time_zone', input.timeZone);
  if (input.includeInternal !== undefined) params.set('include_internal', String(input.includeInternal));
  for (const user of input.users ?? []) params.append('users', String(user));
  for (const action of input.actions ?? []) params.append('actions', action);
  for (const type of input.objectTypes ?? []) params.append('object_types', type);
  return params.toString();
}

/** The file name a `Content-Disposition: attachment; filename="…"` header gives, if any. */
export function fileNameOf(disposition: string | null): string | null {
  const match = disposition === null ? null : /filename="([^"]+)"/.exec(disposition);
  return match?.[1] ?? null;
}

/** Fetches the export for `query` and hands it to the browser as a download. */
export async function downloadExport(query: string, token: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${EXPORT_ENDPOINT}?${query}`, {
      headers: { Authorization: `Bearer ${token}` },
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new RequestProblem({ kind: 'transient', message: 'The audit gateway could not be reached.' });
  }
  if (!response.ok) {
    let detail = `The audit gateway answered HTTP ${String(response.status)}.`;
    try {
      const body = (await response.json()) as { detail?: unknown };
      if (typeof body.detail === 'string') detail = body.detail;
    } catch {
      // Not JSON: the status says enough.
    }
    const problem = problemOf(response.status, null, detail);
    throw new RequestProblem(problem ?? { kind: 'failed', message: detail });
  }
  const file = await response.blob();
  const url = URL.createObjectURL(file);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileNameOf(response.headers.get('Content-Disposition')) ?? 'activity.csv';
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own copy once it started.
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 10_000);
}
