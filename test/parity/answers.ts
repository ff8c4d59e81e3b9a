// How the parity suite talks to a target and what of an answer it compares: the status, the
// content type, the headers a client acts on, and the body, each normalised once, here.

export interface Answer {
  status: number;
  contentType: string | null;
  headers: Record<string, string>;
  body: unknown;
}

/** The headers a client of the legacy API acts on; the rest (ids, dates, order) is transport. */
const comparedHeaders = ['location', 'cache-control', 'www-authenticate', 'retry-after'] as const;

export interface RequestOptions {
  token?: string;
  /** Sent as JSON; a string is sent as it is (malformed JSON). */
  body?: unknown;
}

export async function send(
  baseUrl: string,
  method: string,
  path: string,
  { token, body }: RequestOptions = {},
): Promise<Answer> {
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers: {
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const headers = Object.fromEntries(
    comparedHeaders.flatMap((name) => {
      const value = response.headers.get(name);
      return value === null ? [] : [[name, value]];
    }),
  );
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    headers,
    body: text === '' ? undefined : JSON.parse(text),
  };
}

const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * Makes one target's answers comparable with the other's. Each side makes its own ids, tokens,
 * times and provider references; the suite names the ids it knows (`<alice>`, `<order 1>`), so
 * an answer naming the wrong entity still differs. Nothing else is touched.
 */
export class Normaliser {
  private readonly names = new Map<string, string>();

  /** Calls `id` by `name` in every answer from now on. */
  name(id: string, name: string): string {
    this.names.set(id, `<${name}>`);
    return id;
  }

  private text(value: string): string {
    return (
      value
        // The sandbox providers' charge and refund references: random per side.
        .replace(/sbx_(ch|rf)_[0-9a-f-]{36}/g, 'sbx_$1_<ref>')
        // Access tokens: signed by each side's own keys.
        .replace(/eyJ[\w-]*\.[\w-]+\.[\w-]+/g, '<token>')
        // Timestamps: when each side happened to run.
        .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
        // Ids: each side makes its own; known ones keep their name.
        .replace(uuid, (id) => this.names.get(id) ?? '<unnamed id>')
    );
  }

  answer(answer: Answer) {
    return {
      status: answer.status,
      contentType: answer.contentType,
      headers: Object.fromEntries(
        Object.entries(answer.headers).map(([name, value]) => [name, this.text(value)]),
      ),
      body:
        answer.body === undefined ? undefined : JSON.parse(this.text(JSON.stringify(answer.body))),
    };
  }
}
