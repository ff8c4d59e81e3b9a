import type { ForwardAnswer } from '../proxy/exchange.ts';

// Compares two legacy-shaped answers the way a reader of the legacy API would: the status, and
// the body field by field. JSON bodies are compared by leaf paths (`items[0].amount`); a body
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

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

type Differ = (path: string, legacy: unknown, candidate: unknown) => void;

/**
 * Walks both values at once, down to the leaves where they differ: no path is built for a field
 * that is equal on both sides. A field one side lacks is one diff, whatever it holds.
 */
function walk(a: unknown, b: unknown, path: string, differ: Differ): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    const length = Math.max(a.length, b.length);
    for (let index = 0; index < length; index++) {
      const child = `${path}[${index}]`;
      if (index >= b.length) differ(child, a[index], undefined);
      else if (index >= a.length) differ(child, undefined, b[index]);
      else walk(a[index], b[index], child, differ);
    }
    return;
  }
  if (isRecord(a) && isRecord(b)) {
    for (const key in a) {
      const child = childPath(path, key);
      if (Object.hasOwn(b, key)) walk(a[key], b[key], child, differ);
      else differ(child, a[key], undefined);
    }
    for (const key in b)
      if (!Object.hasOwn(a, key)) differ(childPath(path, key), undefined, b[key]);
    return;
  }
  // Two scalars, or two values of different kinds (`[]` and `{}`, a list and a string).
  if (a !== b) differ(path || wholeBody, a, b);
}

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
  walk(a, b, '', differ);
  return { equal: diffs.length === 0, diffs };
}
