import { describe, expect, it } from 'vitest';
import { problemOf } from '../src/lib/api';

describe('what a response means to the page', () => {
  it('a success is no problem', () => {
    expect(problemOf(200, null, '')).toBeNull();
  });

  it('401 and 403 send the user back to sign-in', () => {
    expect(problemOf(401, 'UNAUTHENTICATED', 'x')).toEqual({ kind: 'unauthenticated' });
    expect(problemOf(403, 'FORBIDDEN', 'x')).toEqual({ kind: 'forbidden' });
    // application/json answers carry the code with a 200.
    expect(problemOf(200, 'UNAUTHENTICATED', 'x')).toEqual({ kind: 'unauthenticated' });
  });

  it('429, 503 and 504 are worth a retry', () => {
    for (const status of [429, 503, 504]) expect(problemOf(status, null, 'x')?.kind).toBe('transient');
    expect(problemOf(200, 'RATE_LIMITED', 'x')?.kind).toBe('transient');
    expect(problemOf(429, 'RATE_LIMITED', 'x', ' Try again in 3 s.')).toEqual({
      kind: 'transient',
      message: 'Too many requests for this token. Try again in 3 s.',
    });
  });

  it('anything else is a failure with the API’s message', () => {
    expect(problemOf(400, 'BAD_USER_INPUT', 'startDate: invalid date format')).toEqual({
      kind: 'failed',
      message: 'The audit log could not be loaded: startDate: invalid date format',
    });
    expect(problemOf(200, 'BAD_USER_INPUT', 'interval: no')).toEqual({
      kind: 'failed',
      message: 'The audit log could not be loaded: interval: no',
    });
    expect(problemOf(500, null, 'HTTP 500')?.kind).toBe('failed');
  });
});
