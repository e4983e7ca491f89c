// One function that POSTs a typed document to /graphql and sorts what can go wrong into the few
// cases the page treats differently (see Problem).

import type { TypedDocumentString } from '../generated/graphql';

export const ENDPOINT = '/graphql';

/** What went wrong, as the page reacts to it. */
export type Problem =
  /** 401: the token is unknown, expired or revoked: back to sign-in. */
  | { kind: 'unauthenticated' }
  /** 403: the token's account is not an Admin: back to sign-in. */
  | { kind: 'forbidden' }
  /** 429, 503, 504 or no answer at all: worth retrying. */
  | { kind: 'transient'; message: string }
  /** Anything else: a bug or a request the API refused. */
  | { kind: 'failed'; message: string };

export class RequestProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.kind === 'transient' || problem.kind === 'failed' ? problem.message : problem.kind);
    this.name = 'RequestProblem';
  }
}

interface GraphQLError {
  message?: unknown;
  extensions?: { code?: unknown };
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: GraphQLError[];
}

const TRANSIENT: Record<number, string> = {
  429: 'Too many requests for this token.',
  503: 'The audit log is unavailable at the moment.',
  504: 'The request took too long.',
};

const CODE_STATUS: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  TIMEOUT: 504,
};

function retryAfter(response: Response): string {
  const seconds = Number(response.headers.get('Retry-After'));
  return Number.isFinite(seconds) && seconds > 0 ? ` Try again in ${String(Math.ceil(seconds))} s.` : '';
}

/** The problem an HTTP status or an error code stands for, or null for a success. */
export function problemOf(status: number, code: string | null, message: string, wait = ''): Problem | null {
  const effective = status === 200 && code !== null ? (CODE_STATUS[code] ?? status) : status;
  if (effective === 401) return { kind: 'unauthenticated' };
  if (effective === 403) return { kind: 'forbidden' };
  const transient = TRANSIENT[effective];
  if (transient !== undefined) return { kind: 'transient', message: transient + wait };
  if (effective >= 200 && effective < 300 && code === null) return null;
  return { kind: 'failed', message: `The audit log could not be loaded: ${message}` };
}

export async function request<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  token: string,
  signal: AbortSignal,
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch(ENDPOINT, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        Accept: 'application/graphql-response+json, application/json',
      },
      body: JSON.stringify({ query: document.toString(), variables }),
      signal,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new RequestProblem({ kind: 'transient', message: 'The audit gateway could not be reached.' });
  }

  let body: GraphQLResponse<TResult> | null = null;
  try {
    body = (await response.json()) as GraphQLResponse<TResult>;
  } catch (error) {
    if (signal.aborted) throw error;
    // A proxy's HTML error page, or a cut connection: the status still tells what happened.
  }

  const first = body?.errors?.[0];
  // Every error of the API has a code; one without is still an error.
  const code = first === undefined ? null : typeof first.extensions?.code === 'string' ? first.extensions.code : 'UNKNOWN';
  const message =
    typeof first?.message === 'string' ? first.message : `The audit gateway answered HTTP ${String(response.status)}.`;
  const problem = problemOf(response.status, code, message, retryAfter(response));
  if (problem) throw new RequestProblem(problem);
  if (body?.data == null) {
    throw new RequestProblem({ kind: 'failed', message: 'The audit gateway sent no data.' });
  }
  return body.data;
}
