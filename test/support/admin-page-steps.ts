import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { type Browser, chromium, type Page } from 'playwright-core';

// What an operator does on the admin page (/_facade), one function per step, each taking the
// page: the same steps drive the page over a test harness or over the running system. Every wait
// is bounded; a step returns what the page shows and leaves the asserting to the test.

/** Debian's chromium by default; CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const STEP_TIMEOUT_MS = 10_000;
export const SCREENSHOT_DIR = 'test-results/admin-page';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface AdminBrowser {
  browser: Browser;
  page: Page;
  /** The page's Content-Security-Policy violations (watchPolicyViolations). */
  violations: string[];
}

/** Chromium with one page at the screenshots' size, its policy violations collected. */
export async function openAdminBrowser(): Promise<AdminBrowser> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    return { browser, page, violations: await watchPolicyViolations(page) };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** Collects every Content-Security-Policy violation the page reports, from its first script on. */
export async function watchPolicyViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) =>
      console.error('Content Security Policy violation: ' + event.violatedDirective + ' ' + event.blockedURI));`,
  });
  return violations;
}

const byTestId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

/** Opens `${baseUrl}/_facade`, signs in, and waits for the routes table to fill. */
export async function signIn(
  page: Page,
  baseUrl: string,
  credentials: { login: string; password: string },
): Promise<void> {
  await page.goto(`${baseUrl}/_facade`);
  await byTestId(page, 'login-input').fill(credentials.login, { timeout: STEP_TIMEOUT_MS });
  await byTestId(page, 'password-input').fill(credentials.password);
  await byTestId(page, 'sign-in-submit').click();
  await page.locator('[data-testid^="route-row-"]').first().waitFor({ timeout: STEP_TIMEOUT_MS });
}

/** The sign-in form's message after a refused sign-in. */
export async function signInError(page: Page): Promise<string> {
  const error = byTestId(page, 'sign-in-error').filter({ hasText: /\S/ });
  await error.waitFor({ timeout: STEP_TIMEOUT_MS });
  return (await error.textContent()) ?? '';
}

export async function signOut(page: Page): Promise<void> {
  await byTestId(page, 'sign-out').click();
  await byTestId(page, 'sign-in').waitFor({ timeout: STEP_TIMEOUT_MS });
}

/** The mode the route's row shows. */
export async function modeShown(page: Page, routeId: string): Promise<string> {
  return (await byTestId(page, `mode-${routeId}`).textContent({ timeout: STEP_TIMEOUT_MS })) ?? '';
}

/** Waits until the route's row shows `mode` (the page refreshes every 2 s); returns it. */
export async function waitForMode(page: Page, routeId: string, mode: string): Promise<string> {
  await byTestId(page, `mode-${routeId}`)
    .filter({ hasText: new RegExp(`^${mode}$`) })
    .waitFor({ timeout: STEP_TIMEOUT_MS });
  return modeShown(page, routeId);
}

/** The route's parity cell: match rate, samples, threshold and minimum samples. */
export async function parityShown(page: Page, routeId: string): Promise<string> {
  return (
    (await byTestId(page, `match-rate-${routeId}`).textContent({ timeout: STEP_TIMEOUT_MS })) ?? ''
  );
}

/**
 * Waits until the parity cell shows `text` (figures fill as the page refreshes); a longer
 * `timeoutMs` where live traffic has to fill it.
 */
export async function waitForParity(
  page: Page,
  routeId: string,
  text: string | RegExp,
  timeoutMs = STEP_TIMEOUT_MS,
): Promise<string> {
  await byTestId(page, `match-rate-${routeId}`)
    .filter({ hasText: text })
    .waitFor({ timeout: timeoutMs });
  return parityShown(page, routeId);
}

/** A side's live figures cell of the route (`12 req · 0% err · p95 3 ms`, or `—`). */
export async function sideShown(
  page: Page,
  routeId: string,
  side: 'legacy' | 'new',
): Promise<string> {
  return (
    (await byTestId(page, `side-${side}-${routeId}`).textContent({ timeout: STEP_TIMEOUT_MS })) ??
    ''
  );
}

/** Waits until the route's `side` cell counts more than `requests` requests; returns the count. */
export async function waitForSideRequests(
  page: Page,
  routeId: string,
  side: 'legacy' | 'new',
  { moreThan, timeoutMs = STEP_TIMEOUT_MS }: { moreThan: number; timeoutMs?: number },
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = Number.parseInt(await sideShown(page, routeId, side), 10);
    if (count > moreThan) return count;
    if (Date.now() > deadline) {
      throw new Error(
        `${routeId}'s ${side} side shows ${count} requests, not more than ${moreThan}`,
      );
    }
    await page.waitForTimeout(200);
  }
}

export type MoveOutcome =
  | { outcome: 'moved'; result: string }
  | { outcome: 'refused'; answer: string; reasons: string[]; numbers: string };

/**
 * Picks a mode (and a percentage) for a route, applies it, gives the reason in the inline dialog
 * (ticking "force" when asked) and confirms. Returns the gate's refusal as shown, or the page's
 * confirmation once the dialog closed.
 */
export async function moveRoute(
  page: Page,
  routeId: string,
  to: { mode: string; percentage?: number; reason: string; force?: boolean },
): Promise<MoveOutcome> {
  await byTestId(page, `mode-select-${routeId}`).selectOption(to.mode, {
    timeout: STEP_TIMEOUT_MS,
  });
  if (to.percentage !== undefined) {
    await byTestId(page, `percentage-${routeId}`).fill(String(to.percentage));
  }
  await byTestId(page, `apply-${routeId}`).click();
  return confirmChange(page, to);
}

/** Fills the open dialog's reason (and force), confirms, and reads the answer. */
export async function confirmChange(
  page: Page,
  { reason, force = false }: { reason: string; force?: boolean },
): Promise<MoveOutcome> {
  const dialog = byTestId(page, 'change-dialog');
  await dialog.waitFor({ timeout: STEP_TIMEOUT_MS });
  await byTestId(page, 'reason-input').fill(reason);
  if (force) await byTestId(page, 'force-input').check({ timeout: STEP_TIMEOUT_MS });
  await byTestId(page, 'confirm').click();
  const answer = byTestId(page, 'gate-answer');
  await Promise.race([
    dialog.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS }),
    answer.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS }),
  ]);
  if (await dialog.isHidden()) {
    return { outcome: 'moved', result: (await byTestId(page, 'last-result').textContent()) ?? '' };
  }
  return {
    outcome: 'refused',
    answer: (await answer.textContent()) ?? '',
    reasons: await byTestId(page, 'gate-reasons').locator('li').allTextContents(),
    numbers: (await byTestId(page, 'gate-numbers').textContent()) ?? '',
  };
}

export async function cancelChange(page: Page): Promise<void> {
  await byTestId(page, 'cancel').click();
  await byTestId(page, 'change-dialog').waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
}

/** One click on the route's "Roll back" (its reason as prefilled, or `reason`); the page's answer. */
export async function rollBack(page: Page, routeId: string, reason?: string): Promise<string> {
  if (reason !== undefined) await byTestId(page, `rollback-reason-${routeId}`).fill(reason);
  // Each answer the page shows is numbered, so this waits for the answer to this click.
  const seq = Number((await byTestId(page, 'last-result').getAttribute('data-seq')) ?? 0);
  await byTestId(page, `rollback-${routeId}`).click({ timeout: STEP_TIMEOUT_MS });
  await page
    .locator(`[data-testid="last-result"][data-seq="${seq + 1}"]`)
    .waitFor({ timeout: STEP_TIMEOUT_MS });
  return (await byTestId(page, 'last-result').textContent()) ?? '';
}

export interface JournalRowShown {
  route: string;
  kind: string;
  move: string;
  why: string;
  who: string;
  forced: string;
  figures: string;
}

/** The journal as shown, newest first. */
export async function journalShown(page: Page): Promise<JournalRowShown[]> {
  return byTestId(page, 'journal-row').evaluateAll((rows) =>
    rows.map((row) => {
      const cell = (name: string) =>
        row.querySelector(`[data-testid="journal-${name}"]`)?.textContent ?? '';
      return {
        route: cell('route'),
        kind: cell('kind'),
        move: cell('move'),
        why: cell('why'),
        who: cell('who'),
        forced: cell('forced'),
        figures: cell('figures'),
      };
    }),
  );
}

/** A journal row's move as the operator reads it: what, from and to, why, forced or not. */
export const moveOf = ({ kind, move, why, forced }: JournalRowShown) => ({
  kind,
  move,
  why,
  forced,
});

/** The journal of a route's walk to extracted and back, newest first. */
export const WALK_TO_EXTRACTED_AND_BACK = [
  { kind: 'rollback', move: 'extracted → shadow', why: 'rollback from the admin page', forced: '' },
  { kind: 'change', move: 'shadow → extracted', why: 'parity met', forced: '' },
  { kind: 'change', move: 'monolith → shadow', why: 'compare reads', forced: '' },
];

/** Waits until the journal shows `count` rows (it refreshes every 2 s); returns them. */
export async function waitForJournal(page: Page, count: number): Promise<JournalRowShown[]> {
  await byTestId(page, 'journal-row')
    .nth(count - 1)
    .waitFor({ timeout: STEP_TIMEOUT_MS });
  return journalShown(page);
}

/** Opens a route's row to its diff sample; the rows shown (request, field, legacy, new). */
export async function diffSampleShown(page: Page, routeId: string): Promise<string[][]> {
  const details = byTestId(page, `route-details-${routeId}`);
  if (await details.isHidden()) await byTestId(page, `expand-${routeId}`).click();
  await details.waitFor({ timeout: STEP_TIMEOUT_MS });
  return details
    .locator('[data-testid="diff-row"]')
    .evaluateAll((rows) =>
      rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
}

/** Full-page screenshot under test-results/admin-page/ (or `dir`). */
export async function screenshot(page: Page, name: string, dir = SCREENSHOT_DIR): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = `${dir}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}
