/**
 * A raw HTTP request for tests that must send a target exactly as written: `fetch` and `new URL`
 * normalize `..` and percent-encoded dots away before anything reaches the server.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** The parts of a response a test looks at. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Sends one request with `target` untouched and resolves with the whole response (bounded by `timeoutMs`). */
export function rawRequest(
  baseUrl: string,
  target: string,
  options: { method?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: hostname,
        port,
        path: target,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
        timeout: options.timeoutMs ?? 5000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no response to ${target} in time`)));
    request.on('error', reject);
    request.end();
  });
}

/** The headers of a valid WebSocket opening handshake (RFC 6455 §4.1), beside `Host`. */
const UPGRADE_HEADERS = {
  Connection: 'Upgrade',
  Upgrade: 'websocket',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version': '13',
} as const;

/** Sends an opening handshake for `target` that the server is expected to refuse, and resolves with the refusal; an accepted one rejects at the timeout. */
export function refusedUpgrade(
  baseUrl: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return rawRequest(baseUrl, target, { headers: { ...UPGRADE_HEADERS, ...headers } });
}
