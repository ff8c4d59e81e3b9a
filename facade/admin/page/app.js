// The facade's admin page: plain DOM, no framework. Every value from the API is written as
// text (textContent or DOM nodes), never as HTML: routes, reasons and diff values are data.

const TOKEN_KEY = 'facade-admin-token';
const REFRESH_MS = 2_000;
const CALL_TIMEOUT_MS = 5_000;
const ROLLBACK_REASON = 'rollback from the admin page';
const MODES = ['monolith', 'shadow', 'canary', 'extracted', 'retired'];

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text nodes). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'className') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const percent = (share) =>
  share === null || share === undefined ? '—' : `${+(share * 100).toFixed(2)}%`;
const ms = (value) => (value === null || value === undefined ? '—' : `${Math.round(value)} ms`);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const placement = (p) => (p.mode === 'canary' ? `canary ${p.percentage}%` : p.mode);
/** A diff's value as the API sent it: JSON, so a string and a number stay apart. */
const shown = (value) => (value === undefined ? '(absent)' : JSON.stringify(value));

// --- the admin API ------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function call(method, path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { accept: 'application/json, application/problem+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    // Bounded: a facade that does not answer shows as unreachable instead of a frozen page.
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  const text = await response.text();
  let json;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (response.status === 401 && path !== '/api/auth/login') {
    signOut('Your session ended; sign in again.');
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

// --- signing in ---------------------------------------------------------------------------

let refreshTimer;
let signedIn = false;

function showSignIn(message = '') {
  signedIn = false;
  clearTimeout(refreshTimer);
  $('console').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  document.querySelector('[data-testid="sign-in-error"]').textContent = message;
  document.querySelector('[data-testid="status"]').textContent = '';
}

function signOut(message = '') {
  sessionStorage.removeItem(TOKEN_KEY);
  showSignIn(message);
}

function showConsole() {
  signedIn = true;
  $('sign-in').hidden = true;
  $('console').hidden = false;
  $('sign-out').hidden = false;
  void refresh();
}

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const error = document.querySelector('[data-testid="sign-in-error"]');
  error.textContent = '';
  try {
    const answer = await call('POST', '/api/auth/login', {
      login: String(form.get('login') ?? ''),
      password: String(form.get('password') ?? ''),
    });
    if (typeof answer?.accessToken !== 'string')
      throw new Error('The sign-in answer holds no token.');
    sessionStorage.setItem(TOKEN_KEY, answer.accessToken);
    event.target.reset();
    showConsole();
  } catch (failure) {
    error.textContent =
      failure instanceof ApiError && failure.status === 401
        ? 'Wrong login or password.'
        : `Cannot sign in: ${failure.message}`;
  }
});

$('sign-out').addEventListener('click', () => signOut());

// --- the routes ---------------------------------------------------------------------------

/** Each route's row, made once and updated in place, so a control being edited keeps its value. */
const rows = new Map();

function sideCell(route, name) {
  const side = route.sides[name];
  const testId = `side-${name}-${route.id}`;
  if (!side) return el('td', { 'data-testid': testId }, '—');
  return el(
    'td',
    { className: 'num', 'data-testid': testId },
    `${side.requests} req · ${percent(side.errorRate)} err · p95 ${ms(side.p95Ms)}`,
  );
}

function parityCell(route) {
  const { parity, gate } = route;
  const cell = el('td', { className: 'parity', 'data-testid': `match-rate-${route.id}` });
  if (!route.newTarget) return cell;
  if (!parity) {
    cell.append(`no shadow yet · needs ${percent(gate.threshold)} of ${gate.minSamples}`);
    return cell;
  }
  const met =
    parity.matchRate !== null &&
    parity.matchRate >= gate.threshold &&
    parity.samples >= gate.minSamples;
  cell.append(
    el(
      'span',
      { className: met ? 'met' : 'below', 'data-testid': `match-value-${route.id}` },
      percent(parity.matchRate),
    ),
    ` of ${parity.samples} samples · needs ${percent(gate.threshold)} of ${gate.minSamples}`,
  );
  const dropped = Object.entries(parity.drops).filter(([, n]) => n > 0);
  if (parity.mirrorErrors > 0) cell.append(el('br'), `${parity.mirrorErrors} mirror errors`);
  if (dropped.length > 0)
    cell.append(el('br'), `dropped: ${dropped.map(([why, n]) => `${why} ${n}`).join(', ')}`);
  return cell;
}

function noiseCell(route) {
  const noise = route.parity?.noise ?? [];
  return el(
    'td',
    { 'data-testid': `noise-${route.id}` },
    noise.length === 0
      ? ''
      : el(
          'ul',
          {},
          noise.map((path) => el('li', {}, el('code', {}, path))),
        ),
  );
}

function detailsOf(route) {
  const samples = route.parity?.diffs ?? [];
  if (samples.length === 0) return el('p', {}, 'No differing answers recorded.');
  return el(
    'table',
    { 'data-testid': `diffs-${route.id}` },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', {}, 'Request'),
        el('th', {}, 'Field'),
        el('th', {}, 'Legacy'),
        el('th', {}, 'New'),
      ),
    ),
    el(
      'tbody',
      {},
      samples.flatMap((sample) =>
        sample.diffs.map((diff, index) =>
          el(
            'tr',
            { 'data-testid': 'diff-row' },
            el(
              'td',
              {},
              index === 0
                ? [
                    el('code', {}, sample.requestId),
                    ' ',
                    `${sample.method} ${sample.url}`,
                    ' ',
                    when(sample.at),
                  ]
                : '',
            ),
            el('td', {}, el('code', {}, diff.path)),
            el('td', {}, el('code', {}, shown(diff.legacy))),
            el('td', {}, el('code', {}, shown(diff.new))),
          ),
        ),
      ),
    ),
  );
}

/** The mode selector, percentage, Apply and Roll back of one route: made once per row. */
function controlsOf(route) {
  const id = route.id;
  const controls = el('div', { className: 'controls' });
  if (!route.newTarget) {
    controls.append('monolith only');
    return { controls, sync() {} };
  }
  const select = el(
    'select',
    { 'data-testid': `mode-select-${id}`, 'aria-label': `Mode of ${id}` },
    MODES.map((mode) => el('option', { value: mode }, mode)),
  );
  const percentage = el('input', {
    type: 'number',
    min: 0,
    max: 100,
    step: 1,
    'data-testid': `percentage-${id}`,
    'aria-label': `Canary percentage of ${id}`,
  });
  const apply = el('button', { type: 'button', 'data-testid': `apply-${id}` }, 'Apply');
  const rollbackReason = el('input', {
    className: 'rollback-reason',
    value: ROLLBACK_REASON,
    'data-testid': `rollback-reason-${id}`,
    'aria-label': `Reason to roll back ${id}`,
  });
  const rollback = el('button', { type: 'button', 'data-testid': `rollback-${id}` }, 'Roll back');
  let touched = false;
  select.addEventListener('change', () => {
    touched = true;
  });
  percentage.addEventListener('input', () => {
    touched = true;
  });
  apply.addEventListener('click', () => {
    const body = { mode: select.value };
    if (percentage.value !== '') body.percentage = Number(percentage.value);
    openChange(id, body, () => {
      touched = false;
    });
  });
  rollback.addEventListener('click', () => void rollBack(id, rollbackReason.value));
  controls.append(select, percentage, apply, rollbackReason, rollback);
  return {
    controls,
    // Follows the route's placement until the admin edits the controls.
    sync(current) {
      if (!touched) {
        select.value = current.mode;
        percentage.value = String(current.percentage);
      }
      rollback.disabled = current.version === 0;
    },
  };
}

function rowOf(route) {
  let row = rows.get(route.id);
  if (row) return row;
  const expand = el(
    'button',
    {
      type: 'button',
      className: 'expand',
      'data-testid': `expand-${route.id}`,
      'aria-expanded': 'false',
      // Only a route with a new side has answers to compare.
      hidden: !route.newTarget,
    },
    '▸',
  );
  const { controls, sync } = controlsOf(route);
  const tr = el('tr', { 'data-testid': `route-row-${route.id}` });
  const details = el('tr', {
    className: 'details',
    'data-testid': `route-details-${route.id}`,
    hidden: true,
  });
  const detailsCell = el('td', { colspan: 10 });
  details.append(detailsCell);
  expand.addEventListener('click', () => {
    details.hidden = !details.hidden;
    expand.textContent = details.hidden ? '▸' : '▾';
    expand.setAttribute('aria-expanded', String(!details.hidden));
  });
  // The figure cells are swapped one by one on each refresh; the controls' cell is never moved,
  // so a control the admin is using keeps its focus and its open list.
  const cells = Array.from({ length: 9 }, () => el('td'));
  tr.append(...cells, el('td', {}, controls));
  row = { tr, details, detailsCell, expand, sync, cells };
  rows.set(route.id, row);
  return row;
}

function renderRoutes(routes) {
  const body = $('routes');
  const seen = new Set();
  let cursor = body.firstChild;
  for (const route of routes) {
    seen.add(route.id);
    const row = rowOf(route);
    const cells = [
      el(
        'td',
        {},
        row.expand,
        el('code', {}, route.id),
        el('br'),
        `${route.methods.join(' ')} `,
        el('code', {}, route.path),
      ),
      el(
        'td',
        {},
        el(
          'span',
          { className: `mode mode-${route.mode}`, 'data-testid': `mode-${route.id}` },
          route.mode,
        ),
        route.version > 0 ? el('br') : null,
        route.version > 0 ? `v${route.version}` : null,
      ),
      el(
        'td',
        { className: 'num', 'data-testid': `percentage-value-${route.id}` },
        route.mode === 'canary' ? `${route.percentage}%` : '—',
      ),
      sideCell(route, 'legacy'),
      sideCell(route, 'new'),
      el(
        'td',
        { className: 'num', 'data-testid': `fallbacks-${route.id}` },
        route.newTarget ? String(route.fallbacks) : '—',
      ),
      el(
        'td',
        { className: 'circuit' },
        el(
          'span',
          { className: `circuit-${route.circuit.legacy}` },
          `legacy ${route.circuit.legacy}`,
        ),
        route.circuit.new
          ? [
              el('br'),
              el('span', { className: `circuit-${route.circuit.new}` }, `new ${route.circuit.new}`),
            ]
          : [],
      ),
      parityCell(route),
      noiseCell(route),
    ];
    cells.forEach((cell, index) => {
      row.cells[index].replaceWith(cell);
      row.cells[index] = cell;
    });
    row.sync(route);
    row.detailsCell.replaceChildren(detailsOf(route));
    // Moved only when out of place (a move would take the focus from its controls).
    if (cursor !== row.tr) body.insertBefore(row.tr, cursor);
    if (row.tr.nextSibling !== row.details) body.insertBefore(row.details, row.tr.nextSibling);
    cursor = row.details.nextSibling;
  }
  for (const [id, row] of rows) {
    if (seen.has(id)) continue;
    row.tr.remove();
    row.details.remove();
    rows.delete(id);
  }
}

// --- changing a route ---------------------------------------------------------------------

/** What the open dialog will send: a change (PUT) of one route. */
let pending;

function gateAnswer(error) {
  const box = $('gate-answer');
  const problem = error.problem ?? {};
  const parts = [
    el(
      'strong',
      {},
      error.status === 409 ? 'Refused: ' : `Failed (${error.status ?? 'no answer'}): `,
    ),
    error.message,
  ];
  if (Array.isArray(problem.reasons) && problem.reasons.length > 0) {
    parts.push(
      el(
        'ul',
        { 'data-testid': 'gate-reasons' },
        problem.reasons.map((reason) => el('li', {}, reason)),
      ),
    );
  }
  const numbers = [];
  if ('matchRate' in problem) numbers.push(`match rate ${percent(problem.matchRate)}`);
  if ('samples' in problem) numbers.push(`samples ${problem.samples}`);
  if ('threshold' in problem) numbers.push(`threshold ${percent(problem.threshold)}`);
  if ('minSamples' in problem) numbers.push(`min samples ${problem.minSamples}`);
  if (numbers.length > 0)
    parts.push(el('p', { 'data-testid': 'gate-numbers' }, numbers.join(' · ')));
  if ('verify' in problem) {
    const verify = problem.verify;
    parts.push(
      el(
        'p',
        { 'data-testid': 'gate-verify' },
        verify === null
          ? 'extract:verify: no report'
          : `extract:verify: ${verify.equal ? 'equal' : 'differences'} (${verify.mismatches ?? 0} mismatches, ${verify.missingInService ?? 0} missing in the service, ${verify.missingInLegacy ?? 0} missing in legacy; checked ${when(verify.checkedAt)})`,
      ),
    );
  }
  box.replaceChildren(...parts);
  box.hidden = false;
}

function openChange(routeId, body, onDone) {
  pending = { routeId, body, onDone };
  $('change-title').textContent =
    `Move ${routeId} to ${placement({ mode: body.mode, percentage: body.percentage ?? 0 })}`;
  $('reason-input').value = '';
  $('force-input').checked = false;
  $('force-label').hidden = true;
  $('gate-answer').hidden = true;
  $('gate-answer').replaceChildren();
  $('change-dialog').hidden = false;
  $('reason-input').focus();
}

function closeChange() {
  pending = undefined;
  $('change-dialog').hidden = true;
}

async function confirmChange() {
  if (!pending) return;
  const reason = $('reason-input').value.trim();
  if (reason === '') {
    gateAnswer({ status: 400, message: 'A change needs a reason.' });
    return;
  }
  const { routeId, body, onDone } = pending;
  const force = $('force-input').checked;
  // What is shown from here on is this try's answer, not the last one's.
  $('gate-answer').hidden = true;
  $('confirm').disabled = true;
  try {
    const after = await call('PUT', `/_facade/api/routes/${encodeURIComponent(routeId)}`, {
      ...body,
      reason,
      ...(force && { force: true }),
    });
    onDone();
    closeChange();
    result(`${routeId} is now ${placement(after)} (version ${after.version}).`);
    void refresh();
  } catch (error) {
    gateAnswer(error);
    // A refusal by the gate can be overridden, on the admin's word.
    if (error.status === 409) $('force-label').hidden = false;
  } finally {
    $('confirm').disabled = false;
  }
}

async function rollBack(routeId, reason) {
  try {
    const after = await call(
      'POST',
      `/_facade/api/routes/${encodeURIComponent(routeId)}/rollback`,
      { reason: reason.trim() || ROLLBACK_REASON },
    );
    result(`${routeId} rolled back to ${placement(after)} (version ${after.version}).`);
    void refresh();
  } catch (error) {
    result(`Roll back of ${routeId} failed: ${error.message}`, true);
  }
}

function result(message, failed = false) {
  const line = document.querySelector('[data-testid="last-result"]');
  line.textContent = message;
  line.classList.toggle('error', failed);
  // Numbered, so a reader (a person or a test) tells a new answer from an equal old one.
  line.dataset.seq = String(Number(line.dataset.seq ?? 0) + 1);
}

$('confirm').addEventListener('click', () => void confirmChange());
$('cancel').addEventListener('click', closeChange);
$('reason-input').addEventListener('keydown', (event) => {
  if (event.key === 'Enter') void confirmChange();
  if (event.key === 'Escape') closeChange();
});

// --- journal and replicas -----------------------------------------------------------------

function figuresText(figures) {
  const parts = [];
  if (figures.parity)
    parts.push(`parity ${percent(figures.parity.matchRate)} of ${figures.parity.samples}`);
  for (const side of ['legacy', 'new']) {
    const f = figures[side];
    if (f)
      parts.push(
        `${side} ${f.requests} req, ${percent(f.errorRate)} err, p95 ${ms(f.p95Ms)}, p99 ${ms(f.p99Ms)}`,
      );
  }
  return parts.join(' · ') || 'not measured';
}

function renderJournal(items) {
  $('journal').replaceChildren(
    ...items.map((entry) =>
      el(
        'tr',
        { 'data-testid': 'journal-row', 'data-version': entry.version },
        el('td', { 'data-testid': 'journal-when' }, when(entry.changedAt)),
        el('td', { 'data-testid': 'journal-who' }, entry.changedBy),
        el('td', { 'data-testid': 'journal-route' }, el('code', {}, entry.routeId)),
        el('td', { 'data-testid': 'journal-kind' }, entry.kind),
        el(
          'td',
          { 'data-testid': 'journal-move' },
          `${placement(entry.from)} → ${placement(entry.to)}`,
        ),
        el('td', { 'data-testid': 'journal-why' }, entry.reason),
        el('td', { 'data-testid': 'journal-forced' }, entry.forced ? 'forced' : ''),
        el('td', { 'data-testid': 'journal-figures' }, figuresText(entry.figures)),
      ),
    ),
  );
}

function renderReplicas(replicas) {
  document.querySelector('[data-testid="global-version"]').textContent =
    `Toggle version ${replicas.version}`;
  $('replicas').replaceChildren(
    ...replicas.items.map((replica) =>
      el(
        'tr',
        { 'data-testid': 'replica-row', className: replica.lag > 0 ? 'lagging' : undefined },
        el('td', {}, el('code', {}, replica.replicaId)),
        el('td', { className: 'num' }, String(replica.appliedVersion)),
        el(
          'td',
          { className: 'num lag', 'data-testid': `replica-lag-${replica.replicaId}` },
          replica.lag > 0 ? `${replica.lag} behind` : 'up to date',
        ),
        el('td', {}, when(replica.seenAt)),
      ),
    ),
  );
}

// --- refreshing ---------------------------------------------------------------------------

let refreshing;

/** One refresh at a time; the next is scheduled when this one ends, failed or not. */
function refresh() {
  refreshing ??= load().finally(() => {
    refreshing = undefined;
    clearTimeout(refreshTimer);
    if (signedIn) refreshTimer = setTimeout(() => void refresh(), REFRESH_MS);
  });
  return refreshing;
}

async function load() {
  const banner = document.querySelector('[data-testid="api-error"]');
  try {
    const [overview, journal] = await Promise.all([
      call('GET', '/_facade/api/overview'),
      call('GET', '/_facade/api/journal?limit=50'),
    ]);
    if (!signedIn) return;
    renderRoutes(overview.routes);
    renderJournal(journal.items);
    renderReplicas(overview.replicas);
    banner.hidden = true;
    document.querySelector('[data-testid="status"]').textContent =
      `replica ${overview.replicaId} · version ${overview.version} · updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    if (!signedIn) return;
    banner.textContent =
      error instanceof ApiError && error.status === 403
        ? 'This account is not an admin.'
        : `The admin API did not answer (${error.message}); retrying every ${REFRESH_MS / 1000} s.`;
    banner.hidden = false;
  }
}

if (sessionStorage.getItem(TOKEN_KEY)) showConsole();
else showSignIn();
