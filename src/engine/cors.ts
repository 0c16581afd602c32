import type { IncomingMessage, ServerResponse } from 'node:http';
import { callHook } from './callback-hook.js';
import type { EngineMiddleware } from './middleware.js';

/**
 * Which origins may read responses, as the `cors` package takes it: `'*'` (or any falsy value
 * but `false`) any, without credentials; another string that one origin, sent as is; `true` the
 * request's origin, reflected; a RegExp or a list (of strings, RegExps and booleans) the
 * request's origin when it matches; `false` no CORS at all.
 */
export type StaticOrigin = boolean | string | RegExp | readonly (boolean | string | RegExp)[];

/**
 * Decides the origin rule per request, as the `cors` package calls it: with the request's
 * `Origin` (undefined for a same-origin request) and a callback taking an error (the request is
 * then refused with "Bad request") or the rule to apply.
 *
 * @example
 * origin: (origin, callback) => lookUpTenant(origin).then((ok) => callback(null, ok), callback)
 */
export type CorsOriginFunction = (
  origin: string | undefined,
  callback: (err: Error | null, origin?: StaticOrigin) => void,
) => void;

/** CORS for the HTTP long-polling requests (browsers apply no CORS to WebSocket upgrades), the `cors` package's options. */
export interface CorsOptions {
  /** Which origins may read responses (see {@link StaticOrigin}), or a function deciding it. @default '*' */
  origin?: StaticOrigin | CorsOriginFunction;
  /** Send `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). @default false */
  credentials?: boolean;
  /** Methods allowed by a preflight: a list, or one comma-separated string. @default 'GET,HEAD,PUT,PATCH,POST,DELETE' */
  methods?: string | readonly string[];
  /** Request headers allowed by a preflight. @default the ones the preflight asks for */
  allowedHeaders?: string | readonly string[];
  /** Response headers the page may read. @default none */
  exposedHeaders?: string | readonly string[];
  /** How long (seconds) a browser may cache a preflight answer. @default not sent */
  maxAge?: number;
  /**
   * Pass a preflight on after setting its headers instead of answering it (the engine then
   * answers it "Bad handshake method", as the reference server does). @default false
   */
  preflightContinue?: boolean;
  /** Status of a preflight answer. @default 204 */
  optionsSuccessStatus?: number;
}

/**
 * Chooses the CORS options per request, as the `cors` package allows: call back with an error
 * (the request is refused with "Bad request") or the options.
 */
export type CorsOptionsDelegate = (
  req: IncomingMessage,
  callback: (err: Error | null, options?: CorsOptions) => void,
) => void;

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'origin',
  'credentials',
  'methods',
  'allowedHeaders',
  'exposedHeaders',
  'maxAge',
  'preflightContinue',
  'optionsSuccessStatus',
]);

const DEFAULT_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE';

/** Checks the `cors` option once, at construction: unknown names and misspelt forms are errors. */
export function checkCorsOption(option: CorsOptions | CorsOptionsDelegate | boolean): void {
  if (typeof option === 'function' || typeof option === 'boolean') return;
  if (typeof option !== 'object' || option === null)
    throw new TypeError(`cors must be an options object or a function (req, callback), got ${String(option)}`);
  for (const name of Object.keys(option)) {
    if (!OPTION_NAMES.has(name)) {
      const hint = name === 'headers' ? ' (use allowedHeaders)' : '';
      throw new TypeError(`cors.${name}: unknown CORS option${hint}; known: ${[...OPTION_NAMES].join(', ')}`);
    }
  }
  const origin = option.origin;
  const list = Array.isArray(origin) ? origin : [origin];
  for (const rule of list) {
    if (
      rule !== undefined &&
      typeof rule !== 'boolean' &&
      typeof rule !== 'string' &&
      !(rule instanceof RegExp) &&
      (typeof rule !== 'function' || list.length > 1)
    ) {
      throw new TypeError(
        `cors.origin: expected a boolean, a string, a RegExp, a list of those, or a function (origin, callback), got ${String(rule)}`,
      );
    }
  }
}

function asHeaderList(value: string | readonly string[]): string {
  return typeof value === 'string' ? value : value.join(',');
}

function isAllowed(origin: string | undefined, rule: StaticOrigin): boolean {
  if (Array.isArray(rule)) return rule.some((entry: boolean | string | RegExp) => isAllowed(origin, entry));
  if (typeof rule === 'string') return origin === rule;
  // RegExp#test turns undefined into "undefined": a request without Origin matches only a rule written for that.
  if (rule instanceof RegExp) return rule.test(String(origin));
  return rule === true;
}

/** Adds `field` to the `Vary` header once (RFC 9110 §12.5.5). */
function addVary(res: ServerResponse, field: string): void {
  const current = res.getHeader('Vary');
  const fields =
    current === undefined
      ? []
      : String(current)
          .split(',')
          .map((value) => value.trim())
          .filter(Boolean);
  if (fields.includes('*') || fields.some((value) => value.toLowerCase() === field.toLowerCase())) return;
  res.setHeader('Vary', [...fields, field].join(', '));
}

function setOrigin(rule: StaticOrigin, req: IncomingMessage, res: ServerResponse): void {
  if (rule === '*') {
    res.setHeader('Access-Control-Allow-Origin', '*');
    return;
  }
  if (typeof rule === 'string') {
    res.setHeader('Access-Control-Allow-Origin', rule);
  } else {
    const origin = req.headers.origin;
    if (origin !== undefined && isAllowed(origin, rule)) res.setHeader('Access-Control-Allow-Origin', origin);
  }
  addVary(res, 'Origin');
}

/** Sets the CORS headers (Fetch standard, "CORS protocol") and answers a preflight unless told to pass it on. */
function apply(
  options: CorsOptions,
  rule: StaticOrigin,
  req: IncomingMessage,
  res: ServerResponse,
  next: () => void,
): void {
  setOrigin(rule, req, res);
  if (options.credentials === true) res.setHeader('Access-Control-Allow-Credentials', 'true');
  const exposed = options.exposedHeaders === undefined ? '' : asHeaderList(options.exposedHeaders);
  const preflight = req.method?.toUpperCase() === 'OPTIONS';
  if (!preflight) {
    if (exposed.length > 0) res.setHeader('Access-Control-Expose-Headers', exposed);
    next();
    return;
  }
  res.setHeader('Access-Control-Allow-Methods', asHeaderList(options.methods ?? DEFAULT_METHODS));
  let allowedHeaders: string | undefined;
  if (options.allowedHeaders === undefined) {
    addVary(res, 'Access-Control-Request-Headers');
    allowedHeaders = req.headers['access-control-request-headers'];
  } else {
    allowedHeaders = asHeaderList(options.allowedHeaders);
  }
  if (allowedHeaders !== undefined && allowedHeaders.length > 0)
    res.setHeader('Access-Control-Allow-Headers', allowedHeaders);
  if (options.maxAge !== undefined) res.setHeader('Access-Control-Max-Age', String(options.maxAge));
  if (exposed.length > 0) res.setHeader('Access-Control-Expose-Headers', exposed);
  if (options.preflightContinue === true) {
    next();
    return;
  }
  // Safari waits for a body on a 204 without Content-Length.
  res.statusCode = options.optionsSuccessStatus ?? 204;
  res.setHeader('Content-Length', '0');
  res.end();
}

/**
 * The engine's CORS middleware, with the `cors` package's semantics: the options (or a delegate
 * choosing them per request), then the origin rule (or a function choosing it per request); an
 * error from either refuses the request with "Bad request"; an origin rule of `false` sends no
 * CORS header at all, so a preflight then goes on to the engine.
 */
export function corsMiddleware(option: CorsOptions | CorsOptionsDelegate): EngineMiddleware {
  const delegate: CorsOptionsDelegate =
    typeof option === 'function' ? option : (_req, callback) => callback(null, option);
  return (req, res, next) => {
    let answered = false;
    callHook(
      'cors',
      '(req, callback) => callback(null, options)',
      () =>
        delegate(req, (err, options = {}) => {
          if (answered) return;
          answered = true;
          if (err) next(err);
          else applyOrigin(options, req, res, next);
        }),
      () => answered,
      next,
    );
  };
}

function applyOrigin(
  options: CorsOptions,
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
): void {
  const origin = options.origin ?? '*';
  if (typeof origin !== 'function') {
    if (origin === false || origin === '') next();
    else apply(options, origin, req, res, next);
    return;
  }
  let answered = false;
  callHook(
    'cors.origin',
    '(origin, callback) => callback(null, allowed)',
    () =>
      origin(req.headers.origin, (err, rule) => {
        if (answered) return;
        answered = true;
        if (err) next(err);
        else if (rule === undefined || rule === false || rule === '') next();
        else apply(options, rule, req, res, next);
      }),
    () => answered,
    next,
  );
}
