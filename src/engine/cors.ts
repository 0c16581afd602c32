import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsOptions } from './options.js';

const DEFAULT_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'] as const;

function matches(origin: string, allowed: string | RegExp): boolean {
  return typeof allowed === 'string' ? allowed === origin : allowed.test(origin);
}

/** The `Access-Control-Allow-Origin` value for `origin`, or `undefined` when it is not allowed. */
async function allowedOrigin(
  options: CorsOptions,
  origin: string | undefined,
  req: IncomingMessage,
): Promise<{ value: string | undefined; varies: boolean }> {
  const rule = options.origin ?? '*';
  if (rule === '*') return { value: '*', varies: false };
  if (typeof rule === 'string') return { value: rule, varies: true };
  if (typeof rule === 'boolean') return { value: rule ? origin : undefined, varies: true };
  if (typeof rule === 'function') {
    const verdict = await rule(origin, req);
    return { value: verdict === true ? origin : verdict === false ? undefined : verdict, varies: true };
  }
  const list = Array.isArray(rule) ? rule : [rule as RegExp];
  const ok = origin !== undefined && list.some((allowed) => matches(origin, allowed));
  return { value: ok ? origin : undefined, varies: true };
}

function addVary(res: ServerResponse, field: string): void {
  const current = res.getHeader('Vary');
  const fields = current === undefined ? [] : String(current).split(',').map((value) => value.trim());
  if (!fields.includes(field) && !fields.includes('*')) res.setHeader('Vary', [...fields, field].join(', '));
}

/**
 * Sets the CORS response headers for a polling request (Fetch standard, "CORS protocol") and
 * answers a preflight. Returns `true` when the request was a preflight and has been answered.
 */
export async function applyCors(options: CorsOptions, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const origin = req.headers.origin;
  const allowed = await allowedOrigin(options, origin, req);
  if (allowed.value !== undefined) res.setHeader('Access-Control-Allow-Origin', allowed.value);
  if (allowed.varies) addVary(res, 'Origin');
  if (options.credentials === true) res.setHeader('Access-Control-Allow-Credentials', 'true');
  if (options.exposedHeaders !== undefined && options.exposedHeaders.length > 0) {
    res.setHeader('Access-Control-Expose-Headers', options.exposedHeaders.join(','));
  }
  if (req.method !== 'OPTIONS') return false;
  res.setHeader('Access-Control-Allow-Methods', (options.methods ?? DEFAULT_METHODS).join(','));
  if (options.allowedHeaders !== undefined) {
    res.setHeader('Access-Control-Allow-Headers', options.allowedHeaders.join(','));
  } else {
    const requested = req.headers['access-control-request-headers'];
    if (requested !== undefined) res.setHeader('Access-Control-Allow-Headers', requested);
    addVary(res, 'Access-Control-Request-Headers');
  }
  if (options.maxAge !== undefined) res.setHeader('Access-Control-Max-Age', String(options.maxAge));
  res.writeHead(204, { 'Content-Length': '0' });
  res.end();
  return true;
}
