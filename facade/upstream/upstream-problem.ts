// TEMP STUB
import type { Problem } from '../../src/platform/http/problem.ts';
export function upstreamProblem(error: unknown, upstream: string): { problem: Problem; headers: Record<string, string> } | undefined { void error; void upstream; return undefined; }
