import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminPageHarness, startAdminPageHarness } from '../support/admin-page-harness.ts';
import {
  cancelChange,
  confirmChange,
  diffSampleShown,
  modeShown,
  moveOf,
  moveRoute,
  openAdminBrowser,
  rollBack,
  screenshot,
  signIn,
  signInError,
  signOut,
  WALK_TO_EXTRACTED_AND_BACK,
  waitForJournal,
  waitForMode,
  waitForParity,
} from '../support/admin-page-steps.ts';

// The admin page in Debian's chromium over the real toggle admin API and store. The figures
// (parity, each side's window) are this test's, set through the harness: the proxy that would
// measure them is not part of this test. It keeps what live traffic cannot show at will: diffs
// and learned noise, a forced move, a lagging replica, a wrong password, signing out; the same
// operator's walk over the running system is admin-page-live.test.ts.

const ROUTE = 'payments.read.by-id';

let h: AdminPageHarness;
let browser: Browser;
let page: Page;
let violations: string[];
beforeAll(async () => {
  h = await startAdminPageHarness('admin_page');
  ({ browser, page, violations } = await openAdminBrowser());
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const side = (requests: number, errors: number, p95Ms: number) => ({
  requests,
  errors,
  p95Ms,
  p99Ms: p95Ms * 2,
});

describe('the admin page', () => {
  it('refuses a wrong password and signs an admin in', async () => {
    await page.goto(`${h.url}/_facade`);
    await page.locator('[data-testid="login-input"]').fill(h.credentials.login);
    await page.locator('[data-testid="password-input"]').fill('not the password');
    await page.locator('[data-testid="sign-in-submit"]').click();
    expect(await signInError(page)).toBe('Wrong login or password.');

    await signIn(page, h.url, h.credentials);
    expect(await modeShown(page, ROUTE)).toBe('monolith');
    // Every route of the table is listed, those without a new side too.
    expect(await page.locator('[data-testid^="route-row-"]').count()).toBeGreaterThan(30);
    expect(await page.locator('[data-testid="mode-select-catalog.read.products"]').count()).toBe(0);
    await screenshot(page, '01-signed-in');
  });

  it('moves a route monolith → shadow, is refused extracted with the numbers, moves once parity is met, and rolls back in one click, every step journaled', async () => {
    const toShadow = await moveRoute(page, ROUTE, { mode: 'shadow', reason: 'compare reads' });
    expect(toShadow).toEqual({
      outcome: 'moved',
      result: `${ROUTE} is now shadow (version 1).`,
    });
    expect(await waitForMode(page, ROUTE, 'shadow')).toBe('shadow');
    await screenshot(page, '02-shadow');

    // Parity fills: short of the route's gate (99% of 100) in both ways.
    h.setFigures(ROUTE, {
      parity: {
        samples: 40,
        matchRate: 0.95,
        noise: ['createdAt'],
        diffs: [
          {
            requestId: 'req-diff-1',
            method: 'GET',
            url: '/api/payments/p-1',
            at: new Date().toISOString(),
            diffs: [{ path: 'status', legacy: 'captured', new: 'CAPTURED' }],
          },
        ],
      },
      legacy: side(40, 0, 12),
      new: side(40, 2, 18),
    });
    expect(await waitForParity(page, ROUTE, '95% of 40 samples')).toBe(
      '95% of 40 samples · needs 99% of 100',
    );
    expect(await page.locator(`[data-testid="noise-${ROUTE}"]`).textContent()).toBe('createdAt');
    const diffRows = await diffSampleShown(page, ROUTE);
    expect(diffRows).toHaveLength(1);
    expect(diffRows[0]?.[0]).toContain('req-diff-1');
    expect(diffRows[0]?.slice(1)).toEqual(['status', '"captured"', '"CAPTURED"']);

    const refused = await moveRoute(page, ROUTE, { mode: 'extracted', reason: 'too early' });
    expect(refused).toMatchObject({
      outcome: 'refused',
      reasons: ['40 shadow samples, 100 needed', 'match rate 95.00% below 99.00%'],
      numbers: 'match rate 95% · samples 40 · threshold 99% · min samples 100',
    });
    await screenshot(page, '03-refused');
    await cancelChange(page);
    expect(await modeShown(page, ROUTE)).toBe('shadow');

    h.setFigures(ROUTE, {
      parity: { samples: 240, matchRate: 0.996, noise: ['createdAt'] },
      legacy: side(240, 0, 12),
      new: side(240, 0, 15),
    });
    await waitForParity(page, ROUTE, '99.6% of 240 samples');
    const toExtracted = await moveRoute(page, ROUTE, {
      mode: 'extracted',
      reason: 'parity met',
    });
    expect(toExtracted.outcome).toBe('moved');
    expect(await waitForMode(page, ROUTE, 'extracted')).toBe('extracted');
    await screenshot(page, '04-extracted');

    expect(await rollBack(page, ROUTE)).toBe(`${ROUTE} rolled back to shadow (version 3).`);
    expect(await waitForMode(page, ROUTE, 'shadow')).toBe('shadow');

    const journal = await waitForJournal(page, 3);
    expect(journal.map(moveOf)).toEqual(WALK_TO_EXTRACTED_AND_BACK);
    expect(journal.every((row) => row.route === ROUTE && row.who === h.adminId)).toBe(true);
    expect(journal[1]?.figures).toBe(
      'parity 99.6% of 240 · legacy 240 req, 0% err, p95 12 ms, p99 24 ms · new 240 req, 0% err, p95 15 ms, p99 30 ms',
    );
    // The refusal wrote nothing.
    expect(await h.store.journal(ROUTE)).toHaveLength(3);
    await screenshot(page, '05-rolled-back');
  });

  it('forces a refused move on the admin word, journaled as forced, and shows a reason as text', async () => {
    const route = 'payments.read.list';
    const reason = '<img src=x data-injected> on call';
    const refused = await moveRoute(page, route, { mode: 'canary', percentage: 10, reason });
    expect(refused.outcome).toBe('refused');
    const forced = await confirmChange(page, { reason, force: true });
    expect(forced).toEqual({ outcome: 'moved', result: `${route} is now canary 10% (version 4).` });
    expect(await waitForMode(page, route, 'canary')).toBe('canary');
    expect(await page.locator(`[data-testid="percentage-value-${route}"]`).textContent()).toBe(
      '10%',
    );

    const [newest] = await waitForJournal(page, 4);
    expect(newest).toMatchObject({
      route,
      move: 'monolith → canary 10%',
      why: reason,
      forced: 'forced',
    });
    expect(await page.locator('[data-injected]').count()).toBe(0);
    expect((await h.store.journal(route))[0]).toMatchObject({ forced: true, reason });
  });

  it('shows each replica with the version it applies, a lagging one highlighted', async () => {
    await h.addStoppedReplica('facade-behind');
    await moveRoute(page, 'payments.read.list', { mode: 'shadow', reason: 'back to comparing' });
    const lag = (id: string) => page.locator(`[data-testid="replica-lag-${id}"]`);
    await lag('facade-behind').filter({ hasText: '1 behind' }).waitFor({ timeout: 10_000 });
    expect(await lag('facade-admin-page-test').textContent()).toBe('up to date');
    const rows = page.locator('[data-testid="replica-row"]');
    expect(await rows.evaluateAll((all) => all.map((row) => row.className))).toEqual([
      '',
      'lagging',
    ]);
    expect(await page.locator('[data-testid="global-version"]').textContent()).toBe(
      'Toggle version 5',
    );
    await screenshot(page, '06-replicas');
  });

  it('signs out, forgetting the token', async () => {
    await signOut(page);
    await page.reload();
    await page.locator('[data-testid="sign-in"]').waitFor({ timeout: 10_000 });
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(await page.locator('#console').isHidden()).toBe(true);
    expect(violations).toEqual([]);
  });
});
