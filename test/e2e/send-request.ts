import { recordViolations } from './conformance-log.ts';
import { fetchOpenApi } from './openapi-operations.ts';
import { type ResponseConformance, responseConformance } from './response-conformance.ts';

export interface SentRequest {
  method: string;
  /** Path and query, already encoded as they should go on the wire. */
  target: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface Received {
  status: number;
  contentType: string;
  headers: Headers;
  text: string;
}

/** Each component's own document, read once per base URL. */
const documents = new Map<string, Promise<ResponseConformance>>();

function conformanceOf(baseUrl: string): Promise<ResponseConformance> {
  let checker = documents.get(baseUrl);
  if (!checker) {
    checker = fetchOpenApi(baseUrl).then(responseConformance);
    checker.catch(() => documents.delete(baseUrl));
    documents.set(baseUrl, checker);
  }
  return checker;
}

/**
 * Sends one request on the shared keep-alive pool, as a real client would. Every e2e request
 * comes through here: its answer is checked against the component's /openapi.json, and what
 * breaks the document fails the running test (fail-on-nonconforming-answers.ts). `docsUrl` names
 * the component whose document describes the answers when another one forwards them (the facade
 * documents only its own admin API; the legacy API it forwards is the monolith's).
 */
export async function sendRequest(
  baseUrl: string,
  request: SentRequest,
  docsUrl = baseUrl,
): Promise<Received> {
  const checker = conformanceOf(docsUrl);
  const response = await fetch(`${baseUrl}${request.target}`, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== undefined && { body: request.body }),
  });
  const received = {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    headers: response.headers,
    text: await response.text(),
  };
  recordViolations(
    (await checker).check({ method: request.method, target: request.target, ...received }),
  );
  return received;
}
