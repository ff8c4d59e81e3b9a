import { describe, expect, it } from 'vitest';
import { UpstreamBroken, UpstreamRejected, UpstreamTimeout } from './upstream-errors.ts';
import { upstreamProblem } from './upstream-problem.ts';

describe("an upstream's failure as a problem", () => {
  it('is 503 with Retry-After when nothing reached the upstream', () => {
    const problem = upstreamProblem(
      new UpstreamRejected('payments-service', 'connect-error', 'refused'),
    );
    expect(problem?.status).toBe(503);
    expect(problem?.headers).toEqual({ 'Retry-After': '5' });
    expect(problem?.problem.detail).toContain('payments-service');
  });

  it('is 504 on a timeout and 502 on a broken answer', () => {
    expect(upstreamProblem(new UpstreamTimeout('monolith', 'late'))?.status).toBe(504);
    const broken = upstreamProblem(new UpstreamBroken('monolith', 'reset'));
    expect(broken?.problem).toMatchObject({ status: 502, title: 'Bad Gateway' });
  });

  it('leaves other errors alone', () => {
    expect(upstreamProblem(new Error('a bug'))).toBeUndefined();
  });
});
