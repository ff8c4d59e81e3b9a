import type { ForwardAnswer } from '../proxy/exchange.ts';

// Compares two legacy-shaped answers the way a reader of the legacy API would: the status, and
// the body field by field. JSON bodies are flattened into leaf paths (`items[0].amount`); a body
// that is not JSON is compared as bytes, as one field `@body`. Noise paths (learned from legacy's
// own disagreements) are skipped, with array indexes generalised to `[*]`. The two `@` paths
// cannot be a body field's path (such a key is quoted: `["@status"]`), so a body's own `status`
// field is never confused with the HTTP status.

export interface FieldDiff {
  path: string;
  /** Absent (undefined) when the field is missing on that side. */
  legacy: unknown;
  new: unknown;
}

export interface Comparison {
  equal: boolean;
  diffs: FieldDiff[];
}

/** The path of the HTTP status. */
export const statusPath = '@status';
/** The path that stands for a whole body: a top-level scalar, or a body compared as bytes. */
export const wholeBody = '@body';

const plainKey = /^[A-Za-z_][\w$-]*$/;

const childPath = (path: string, key: string): string => {
  if (plainKey.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
};

/** `items[3].createdAt` → `items[*].createdAt`: noise in one item is noise in every item. */
export const generalisePath = (path: string): string => path.replace(/\[\d+\]/g, '[*]');

/** Every leaf of a JSON value by its path; empty objects and arrays are leaves too. */
function flatten(value: unknown, path: string, into: Map<string, unknown>): void {
  if (Array.isArray(value)) {
    if (value.length === 0) into.set(path || wholeBody, []);
    value.forEach((item, index) => {
      flatten(item, `${path}[${index}]`, into);
    });
    return;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) into.set(path || wholeBody, {});
    for (const [key, item] of entries) flatten(item, childPath(path, key), into);
    return;
  }
  into.set(path || wholeBody, value);
}

const sameLeaf = (a: unknown, b: unknown): boolean => {
  // Leaves that are objects are the empty ones: `{}` and `[]` differ, two `[]` do not.
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    return Array.isArray(a) === Array.isArray(b);
  }
  return a === b;
};

const notParsed = Symbol('not JSON');

function parseJson(body: Uint8Array): unknown {
  if (body.byteLength === 0) return notParsed;
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return notParsed;
  }
}

const text = (body: Uint8Array) =>
  Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');

/** The fields where `candidate` differs from `legacy`, skipping noise paths (generalised, see above). */
export function compareAnswers(
  legacy: ForwardAnswer,
  candidate: ForwardAnswer,
  noise: ReadonlySet<string> = new Set(),
): Comparison {
  const diffs: FieldDiff[] = [];
  const differ = (path: string, a: unknown, b: unknown) => {
    if (!noise.has(generalisePath(path))) diffs.push({ path, legacy: a, new: b });
  };
  if (legacy.status !== candidate.status) differ(statusPath, legacy.status, candidate.status);

  const a = parseJson(legacy.body);
  const b = parseJson(candidate.body);
  if (a === notParsed || b === notParsed) {
    if (Buffer.compare(legacy.body, candidate.body) !== 0) {
      differ(wholeBody, text(legacy.body), text(candidate.body));
    }
    return { equal: diffs.length === 0, diffs };
  }
  const left = new Map<string, unknown>();
  const right = new Map<string, unknown>();
  flatten(a, '', left);
  flatten(b, '', right);
  for (const [path, value] of left) {
    if (!right.has(path) || !sameLeaf(value, right.get(path))) differ(path, value, right.get(path));
  }
  for (const [path, value] of right) if (!left.has(path)) differ(path, undefined, value);
  return { equal: diffs.length === 0, diffs };
}
