import { afterAll, afterEach } from 'vitest';
import { expectNoViolations } from './conformance-log.ts';

// A vitest setup file: every answer an e2e request got was checked against /openapi.json as it
// arrived (send-request.ts); here the test that received a nonconforming one fails, naming the
// operation, the status and what was wrong. What a beforeAll received fails the first test.

afterEach(() => expectNoViolations());
afterAll(() => expectNoViolations(' (after the last test)'));
