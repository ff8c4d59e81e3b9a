import type { Context } from 'hono';
import type { FieldError } from './problem.ts';

const NUL = '\u0000';
const message = 'must not contain the NUL character (U+0000)';
/** Enough to point at the problem without letting a hostile body grow the answer. */
const MAX_ERRORS = 10;

interface Site {
  value: unknown;
  key: string;
  parent: Site | undefined;
}

const pathOf = (site: Site): string => {
  const keys: string[] = [];
  for (let at: Site | undefined = site; at; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.');
};

/**
 * PostgreSQL text cannot hold U+0000, so no input may carry it: every string (value or object
 * key) in `value` that does is an error at `target.path`, as zod's are (`json.cardToken`).
 */
export function nulCharacterErrors(target: string, value: unknown): FieldError[] {
  const errors: FieldError[] = [];
  // Iterative, with paths built only for what is reported: a body nested thousands of levels
  // deep must neither overflow the stack nor cost a path copy per level.
  const stack: Site[] = [{ value, key: target, parent: undefined }];
  while (stack.length > 0 && errors.length < MAX_ERRORS) {
    const site = stack.pop() as Site;
    if (typeof site.value === 'string') {
      if (site.value.includes(NUL)) errors.push({ path: pathOf(site), message });
      continue;
    }
    if (site.value === null || typeof site.value !== 'object') continue;
    const children = Object.entries(site.value).map(
      ([key, child]): Site => ({ value: child, key, parent: site }),
    );
    for (const child of children) {
      if (child.key.includes(NUL)) errors.push({ path: pathOf(child), message });
    }
    stack.push(...children.reverse());
  }
  return errors.slice(0, MAX_ERRORS);
}

/**
 * What the validator of `target` read, before zod transformed or stripped anything: the JSON
 * body it parsed (Hono caches it), the query, the path parameters or the headers.
 */
export async function rawInputOf(c: Context, target: string, fallback: unknown): Promise<unknown> {
  switch (target) {
    case 'json': {
      // Hono keeps the body text it parsed (`bodyCache.text`); without it the content type was
      // not JSON and the validator saw `{}`. JSON can carry U+0000 only as the escape \u0000,
      // so a text without one is not parsed a second time.
      if (!('text' in c.req.bodyCache)) return fallback;
      const text = await c.req.text();
      return text.includes('\\u0000') ? JSON.parse(text) : undefined;
    }
    case 'query':
      return Object.fromEntries(
        Object.entries(c.req.queries()).map(([key, values]) => [
          key,
          values.length === 1 ? values[0] : values,
        ]),
      );
    case 'param':
      return c.req.param();
    case 'header':
      return c.req.header();
    default:
      return fallback;
  }
}
