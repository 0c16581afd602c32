/**
 * The pieces of HTTP header grammar a WebSocket handshake needs (RFC 7230 §3.2.6 tokens and
 * quoted strings, `#rule` comma lists) and the extension list of RFC 6455 §9.1.
 */

/** Header fields keyed by lower-case name, as Node's `IncomingMessage.headers` has them. */
export type HeaderMap = Readonly<Record<string, string | string[] | undefined>>;

/** One `name[=value]` parameter of an extension; a parameter with no value has `value: true`. */
export interface ExtensionParam {
  readonly name: string;
  readonly value: string | true;
}

/** One element of `Sec-WebSocket-Extensions`: an extension name and its parameters in order. */
export interface ExtensionElement {
  readonly name: string;
  readonly params: readonly ExtensionParam[];
}

const TOKEN_CHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether `value` is an RFC 7230 token. */
export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

/** A header's value as one string; repeated fields are joined with commas (RFC 7230 §3.2.2). */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The elements of a comma-separated list, trimmed, with empty elements dropped as RFC 7230 §7
 * tells recipients to do. Elements are not otherwise checked.
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  for (const element of value.split(',')) {
    const trimmed = element.trim();
    if (trimmed !== '') out.push(trimmed);
  }
  return out;
}

/** Whether the comma list `value` holds `token`, compared case-insensitively (e.g. `Connection: keep-alive, Upgrade`). */
export function listHasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  const wanted = token.toLowerCase();
  return splitList(value).some((element) => element.toLowerCase() === wanted);
}

/**
 * Parses `Sec-WebSocket-Extensions` (RFC 6455 §9.1). Returns `undefined` when the value does not
 * follow the grammar, including a quoted value that is not a token once unquoted.
 */
export function parseExtensionList(value: string): ExtensionElement[] | undefined {
  const out: ExtensionElement[] = [];
  let i = 0;
  const n = value.length;
  const skipSpace = (): void => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN_CHAR.test(value[i]!)) i++;
    return value.slice(start, i);
  };
  for (;;) {
    skipSpace();
    if (i < n && value[i] === ',') {
      i++; // empty list element
      continue;
    }
    if (i >= n) break;
    const name = readToken();
    if (name === '') return undefined;
    const params: ExtensionParam[] = [];
    skipSpace();
    while (i < n && value[i] === ';') {
      i++;
      skipSpace();
      const paramName = readToken();
      if (paramName === '') return undefined;
      skipSpace();
      let paramValue: string | true = true;
      if (i < n && value[i] === '=') {
        i++;
        skipSpace();
        if (value[i] === '"') {
          i++;
          let unquoted = '';
          while (i < n && value[i] !== '"') {
            if (value[i] === '\\') i++;
            if (i < n) unquoted += value[i++]!;
          }
          if (i >= n) return undefined;
          i++;
          paramValue = unquoted;
        } else {
          paramValue = readToken();
        }
        if (!isToken(paramValue)) return undefined;
      }
      params.push({ name: paramName, value: paramValue });
      skipSpace();
    }
    out.push({ name, params });
    if (i < n && value[i] !== ',') return undefined;
  }
  return out;
}

/** Formats extension elements for `Sec-WebSocket-Extensions`. */
export function formatExtensionList(elements: readonly ExtensionElement[]): string {
  return elements
    .map(({ name, params }) =>
      [name, ...params.map((p) => (p.value === true ? p.name : `${p.name}=${p.value}`))].join('; '),
    )
    .join(', ');
}
