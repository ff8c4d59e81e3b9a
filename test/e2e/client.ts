import { sendRequest } from './send-request.ts';

/**
 * A tiny HTTP client for end-to-end tests: JSON in, status + JSON out, optional bearer token.
 * It sends through sendRequest, so every answer is checked against /openapi.json.
 */
export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * `docsUrl`: whose /openapi.json checks the answers, when not the component spoken to (a client
 * of the facade speaks the monolith's legacy API).
 */
export function apiClient(baseUrl: string, { docsUrl = baseUrl }: { docsUrl?: string } = {}) {
  async function call<T>(
    method: string,
    path: string,
    {
      token,
      body,
      headers = {},
    }: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const received = await sendRequest(
      baseUrl,
      {
        method,
        target: path,
        headers: {
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...(token && { authorization: `Bearer ${token}` }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      },
      docsUrl,
    );
    return {
      status: received.status,
      body: (received.text ? JSON.parse(received.text) : undefined) as T,
      headers: received.headers,
    };
  }
  return {
    get: <T = Record<string, unknown>>(
      path: string,
      token?: string,
      headers?: Record<string, string>,
    ) => call<T>('GET', path, { token, headers }),
    post: <T = Record<string, unknown>>(
      path: string,
      body: unknown,
      token?: string,
      headers?: Record<string, string>,
    ) => call<T>('POST', path, { token, body, headers }),
    patch: <T = Record<string, unknown>>(path: string, body: unknown, token?: string) =>
      call<T>('PATCH', path, { token, body }),
    put: <T = Record<string, unknown>>(path: string, body: unknown, token?: string) =>
      call<T>('PUT', path, { token, body }),
    delete: (path: string, token?: string) => call('DELETE', path, { token }),
    async login(login: string, password: string): Promise<string> {
      const reply = await call<{ accessToken: string }>('POST', '/api/auth/login', {
        body: { login, password },
      });
      if (reply.status !== 200) throw new Error(`login ${login} failed: ${reply.status}`);
      return reply.body.accessToken;
    },
  };
}

export type ApiClient = ReturnType<typeof apiClient>;
