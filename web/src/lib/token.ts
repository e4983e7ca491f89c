// The API token lives in sessionStorage only: it survives a reload of this tab, never reaches
// another tab, the URL or localStorage, and goes when the tab closes or the user signs out.

const KEY = 'audit-gateway.token';

export function readToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: the user signs in again on each load
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // Storage disabled: the token stays in memory for this page's life.
  }
}

export function forgetToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing stored.
  }
}
