// Calendar arithmetic on local dates written YYYY-MM-DD. The API speaks in local dates of the
// chosen time zone, so the page never needs instants for its windows: a date is a day number.

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** A real calendar date in the API's range (years 2 to 9998), written YYYY-MM-DD. */
export function isDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 2 || year > 9998 || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function parts(date: string): [number, number, number] {
  const [y, m, d] = date.split('-').map(Number);
  return [y ?? 0, m ?? 0, d ?? 0];
}

function toDate(epochDay: number): string {
  return new Date(epochDay * MS_PER_DAY).toISOString().slice(0, 10);
}

function epochDay(date: string): number {
  const [y, m, d] = parts(date);
  const utc = new Date(0);
  utc.setUTCFullYear(y, m - 1, d);
  return Math.round(utc.getTime() / MS_PER_DAY);
}

export function addDays(date: string, days: number): string {
  return toDate(epochDay(date) + days);
}

/** Days from `start` to `end`, both included (1 for a single day). */
export function daysBetween(start: string, end: string): number {
  return epochDay(end) - epochDay(start) + 1;
}

/** The same day `months` months earlier, clamped to that month's last day (Mar 31 → Feb 28). */
export function subtractMonths(date: string, months: number): string {
  const [y, m, d] = parts(date);
  const index = y * 12 + (m - 1) - months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const day = Math.min(d, daysInMonth(year, month));
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Today's date in an IANA time zone (the API's "today" for that zone). */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  const fields = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(now);
  const get = (type: Intl.DateTimeFormatPartTypes): string => fields.find((p) => p.type === type)?.value ?? '';
  return `${get('year').padStart(4, '0')}-${get('month')}-${get('day')}`;
}

/**
 * A zone name the browser knows, or null. Its own spelling is kept (the API knows the links too:
 * `Asia/Kolkata` stays, though some browsers resolve it to `Asia/Calcutta`), except for case:
 * `europe/berlin` becomes `Europe/Berlin`.
 */
export function canonicalZone(timeZone: string): string | null {
  if (timeZone === '' || timeZone.length > 64) return null;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  return resolved.toLowerCase() === timeZone.toLowerCase() ? resolved : timeZone;
}

/** The browser's own IANA zone, as the API's `timeZone` expects it. */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
