import { formatWithOptions } from 'node:util';

/**
 * A diagnostics channel of one part of the library, e.g. `switchboard:engine`. Call it like
 * `console.error` (`%s`, `%d`, `%o` placeholders); it prints to stderr only when the `DEBUG`
 * environment variable names it. When off it is an empty function, so a call costs nothing
 * but its arguments: guard a call whose arguments are costly to build with `if (log.enabled)`.
 */
export interface DebugLog {
  (format: string, ...args: unknown[]): void;
  /** Whether `DEBUG` turned this channel on. */
  readonly enabled: boolean;
  /** The channel's name, e.g. `switchboard:engine`. */
  readonly namespace: string;
}

/** A `DEBUG` value split into the patterns it turns on and those it turns off (a leading `-`). */
export interface DebugPatterns {
  readonly include: readonly RegExp[];
  readonly exclude: readonly RegExp[];
}

/**
 * Reads a `DEBUG` value the way the `debug` package does, so habits carry over: names separated by
 * commas or spaces, `*` matching any run of characters, a leading `-` excluding what it matches
 * (`DEBUG=switchboard:*,-switchboard:ws`).
 */
export function parseDebugPatterns(value: string | undefined): DebugPatterns {
  const include: RegExp[] = [];
  const exclude: RegExp[] = [];
  for (const raw of (value ?? '').split(/[\s,]+/)) {
    if (raw === '') continue;
    const negated = raw.startsWith('-');
    const body = (negated ? raw.slice(1) : raw).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*?');
    (negated ? exclude : include).push(new RegExp(`^${body}$`));
  }
  return { include, exclude };
}

/** Whether `namespace` is turned on by `patterns`: matched by an include and by no exclude. */
export function isDebugEnabled(namespace: string, patterns: DebugPatterns): boolean {
  return (
    !patterns.exclude.some((pattern) => pattern.test(namespace)) &&
    patterns.include.some((pattern) => pattern.test(namespace))
  );
}

const processPatterns = parseDebugPatterns(process.env.DEBUG);

function disabled(): void {}

/**
 * The channel `switchboard:<part>`, on when the process started with a `DEBUG` that names it.
 * Lines read `switchboard:<part> <message> +<ms since the channel's previous line>ms`.
 */
export function createDebugLog(part: string, patterns: DebugPatterns = processPatterns): DebugLog {
  const namespace = `switchboard:${part}`;
  if (!isDebugEnabled(namespace, patterns)) {
    return Object.assign(disabled.bind(undefined), { enabled: false, namespace });
  }
  let previous = Date.now();
  const log = (format: string, ...args: unknown[]): void => {
    const now = Date.now();
    const line = formatWithOptions({ colors: false, breakLength: Infinity }, format, ...args);
    process.stderr.write(`${namespace} ${line} +${now - previous}ms\n`);
    previous = now;
  };
  return Object.assign(log, { enabled: true, namespace });
}
