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
  text: string;
}

/** Sends one request on the shared keep-alive pool, as a real client would. */
export async function sendRequest(baseUrl: string, request: SentRequest): Promise<Received> {
  const response = await fetch(`${baseUrl}${request.target}`, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== undefined && { body: request.body }),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}
