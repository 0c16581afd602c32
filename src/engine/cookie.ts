import type { CookieOptions } from './options.js';

// RFC 6265 §4.1.1: a cookie name is an RFC 7230 token; the value here is always a session id.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function capitalized(word: string): string {
  return `${word[0]!.toUpperCase()}${word.slice(1)}`;
}

/** Serialises a `Set-Cookie` header value (RFC 6265 §4.1) holding the session id. */
export function serializeCookie(options: CookieOptions & { name: string }, value: string): string {
  if (!TOKEN.test(options.name)) throw new TypeError(`cookie name ${JSON.stringify(options.name)} is not a token`);
  let cookie = `${options.name}=${encodeURIComponent(value)}`;
  if (options.maxAge !== undefined) cookie += `; Max-Age=${Math.floor(options.maxAge)}`;
  if (options.domain !== undefined) cookie += `; Domain=${options.domain}`;
  if (options.path !== undefined) cookie += `; Path=${options.path}`;
  if (options.expires !== undefined) cookie += `; Expires=${options.expires.toUTCString()}`;
  if (options.httpOnly === true) cookie += '; HttpOnly';
  if (options.secure === true) cookie += '; Secure';
  if (options.partitioned === true) cookie += '; Partitioned';
  if (options.priority !== undefined) cookie += `; Priority=${capitalized(options.priority)}`;
  // As the `cookie` package: `true` means Strict, `false` sends none.
  const sameSite = options.sameSite === true ? 'strict' : options.sameSite;
  if (sameSite !== undefined && sameSite !== false) cookie += `; SameSite=${capitalized(sameSite)}`;
  return cookie;
}
