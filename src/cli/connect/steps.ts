import { isValidWireCloseCode } from '../../protocol/index.js';
import { RESERVED_EVENTS } from '../../protocol/socket-io/index.js';
import { UsageError } from '../command.js';
import { parseDuration } from './duration.js';
import { firstWord, parseJsonArguments } from './json-arguments.js';

/** What `connect` speaks: bare WebSocket messages, or Socket.IO events (`--sio`). */
export type Mode = 'websocket' | 'socket.io';

/** Something sent to the server, typed at the prompt or written in a script. */
export type Action =
  | { readonly kind: 'send'; readonly text: string }
  | { readonly kind: 'emit'; readonly event: string; readonly args: readonly unknown[] }
  | { readonly kind: 'ack'; readonly id: number; readonly args: readonly unknown[] }
  | { readonly kind: 'ping' | 'pong'; readonly data: string }
  | { readonly kind: 'close'; readonly code: number | undefined; readonly reason: string };

/** One line of a script: an {@link Action}, or a pause, a check of what arrived, or a note. */
export type Step =
  | Action
  | { readonly kind: 'wait'; readonly ms: number }
  | { readonly kind: 'expect'; readonly pattern: RegExp; readonly timeoutMs: number }
  | { readonly kind: 'print'; readonly text: string };

/** The script words, for error messages; `/` in front is accepted too, as at the prompt. */
const WORDS = ['send', 'emit', 'ack', 'ping', 'pong', 'close', 'wait', 'expect', 'print'] as const;
type Word = (typeof WORDS)[number];

const WEBSOCKET_ONLY: ReadonlySet<Word> = new Set(['send', 'ping', 'pong']);
const SOCKET_IO_ONLY: ReadonlySet<Word> = new Set(['emit', 'ack']);

/**
 * Parses one command (`send hello`, `emit chat {"text":"hi"}`, `expect /^welcome/ 2s`...) for `mode`.
 * `expectTimeoutMs` is the bound of an `expect` that names none.
 *
 * @throws UsageError when the word is unknown, does not apply to `mode`, or its arguments are wrong.
 */
export function parseStep(line: string, mode: Mode, expectTimeoutMs: number): Step {
  const trimmed = line.trimStart();
  const space = trimmed.search(/\s/);
  const word = (space === -1 ? trimmed : trimmed.slice(0, space)).replace(/^\//, '');
  // One separating space is dropped; the rest of the line is kept as typed (a message may start with spaces).
  const rest = space === -1 ? '' : trimmed.slice(space + 1);
  if (!isWord(word)) throw new UsageError(`unknown command "${word}"; commands: ${WORDS.join(', ')}`);
  if (mode === 'socket.io' && WEBSOCKET_ONLY.has(word)) {
    throw new UsageError(`"${word}" is for bare WebSockets; with --sio use: emit <event> [json args]`);
  }
  if (mode === 'websocket' && SOCKET_IO_ONLY.has(word)) {
    throw new UsageError(`"${word}" needs --sio; on a bare WebSocket use: send <text>`);
  }
  switch (word) {
    case 'send':
      return { kind: 'send', text: rest };
    case 'ping':
    case 'pong':
      return { kind: word, data: rest };
    case 'print':
      return { kind: 'print', text: rest };
    case 'emit':
      return parseEmit(rest);
    case 'ack':
      return parseAck(rest);
    case 'close':
      return parseClose(rest, mode);
    case 'wait':
      return { kind: 'wait', ms: parseDuration('wait', rest.trim(), 'ms') };
    case 'expect':
      return parseExpect(rest.trim(), expectTimeoutMs);
  }
}

function isWord(word: string): word is Word {
  return (WORDS as readonly string[]).includes(word);
}

function jsonArguments(command: string, text: string): unknown[] {
  try {
    return parseJsonArguments(text);
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
}

function parseEmit(text: string): Step {
  const { word: event, rest } = firstWord(text);
  if (event === '') throw new UsageError('emit takes an event name: emit <event> [json args]');
  if (RESERVED_EVENTS.has(event)) throw new UsageError(`emit: "${event}" is a reserved event name in Socket.IO`);
  return { kind: 'emit', event, args: jsonArguments('emit', rest) };
}

function parseAck(text: string): Step {
  const { word, rest } = firstWord(text);
  if (!/^\d{1,9}$/.test(word)) throw new UsageError(`ack takes the id the server asked for: ack <id> [json args]`);
  return { kind: 'ack', id: Number(word), args: jsonArguments('ack', rest) };
}

function parseClose(text: string, mode: Mode): Step {
  const match = /^\s*(\d+)?\s*(.*)$/s.exec(text)!;
  const code = match[1] === undefined ? undefined : Number(match[1]);
  if (mode === 'socket.io' && (code !== undefined || match[2] !== '')) {
    throw new UsageError('close takes no code or reason with --sio: it leaves the namespace and closes the session');
  }
  if (code !== undefined && !isValidWireCloseCode(code)) {
    throw new UsageError(`close takes a code a close frame may carry (1000–1003, 1007–1014, 3000–4999), got ${code}`);
  }
  if (Buffer.byteLength(match[2]!) > 123) throw new UsageError('a close reason is at most 123 bytes (RFC 6455 §5.5)');
  return { kind: 'close', code, reason: match[2]! };
}

/** `expect /pattern/flags [time]`, or `expect word [time]` for a pattern without spaces. */
function parseExpect(text: string, defaultTimeoutMs: number): Step {
  const delimited = /^\/(.*)\/([a-z]*)(?:\s+(\S+))?$/s.exec(text);
  const words = text.split(/\s+/);
  if (delimited === null && (words.length > 2 || (words.length === 2 && !/^\d/.test(words[1]!)))) {
    throw new UsageError(`expect: write a pattern with spaces between slashes: expect /${text}/`);
  }
  const [source, flags, time] = delimited === null ? [words[0], '', words[1]] : delimited.slice(1);
  if (source === undefined || source === '') throw new UsageError('expect takes a pattern: expect <regex> [time]');
  let pattern: RegExp;
  try {
    pattern = new RegExp(source, flags);
  } catch (error) {
    throw new UsageError(`expect: ${(error as Error).message}`);
  }
  const timeoutMs = time === undefined ? defaultTimeoutMs : parseDuration('expect', time, 'ms');
  return { kind: 'expect', pattern, timeoutMs };
}
