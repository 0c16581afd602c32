/**
 * The chat demo's wire format, shared by the server (`chat-room.ts`) and, in plain JavaScript,
 * the page (`examples/chat/chat.js`). Text frames carry one JSON object each; a binary frame
 * carries one file:
 *
 * ```
 * file frame = header length (uint16, big-endian) | header (UTF-8 JSON) | file bytes
 * ```
 *
 * The client's file header is `{ "name", "type" }`; the server relays the frame to everyone with
 * `{ "from", "name", "type", "at" }`. Everything here is pure so that each rule can be tested
 * on its own.
 */

/** The limits every inbound chat message is checked against. */
export interface ChatLimits {
  /** Longest nickname, in code points after trimming. @default 24 */
  readonly maxNicknameLength: number;
  /** Longest chat message, in UTF-16 code units after trimming (what `maxlength` counts). @default 2000 */
  readonly maxTextLength: number;
  /** Largest shared file, in bytes. @default 2097152 (2 MiB) */
  readonly maxFileBytes: number;
  /** Longest shared file name, in code points. @default 200 */
  readonly maxFileNameLength: number;
}

/** The default {@link ChatLimits}. */
export const defaultChatLimits = {
  maxNicknameLength: 24,
  maxTextLength: 2000,
  maxFileBytes: 2 * 1024 * 1024,
  maxFileNameLength: 200,
} as const satisfies ChatLimits;

/** The longest file header accepted, in bytes; a name of 200 code points and a MIME type fit easily. */
export const MAX_FILE_HEADER_BYTES = 2048;

/** A message a chat client sends as a text frame. */
export type ClientMessage =
  { readonly type: 'join'; readonly nick: string } | { readonly type: 'message'; readonly text: string };

/** A message the chat server sends as a text frame. */
export type ServerMessage =
  | { readonly type: 'welcome'; readonly nick: string; readonly users: readonly string[]; readonly limits: ChatLimits }
  | { readonly type: 'rejected'; readonly reason: string }
  | { readonly type: 'joined'; readonly nick: string; readonly users: readonly string[] }
  | { readonly type: 'left'; readonly nick: string; readonly users: readonly string[] }
  | { readonly type: 'message'; readonly from: string; readonly text: string; readonly at: number };

/** A file as a client offers it. */
export interface FileOffer {
  readonly name: string;
  readonly type: string;
  readonly bytes: Uint8Array;
}

/** A file as the server relays it. */
export interface SharedFile extends FileOffer {
  readonly from: string;
  readonly at: number;
}

/** The outcome of checking inbound data: the value, or why it was refused. */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const refuse = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

// Unicode "Other" (controls, format characters such as bidi overrides, unassigned, private use).
const otherCharacter = /\p{C}/u;
// Controls a chat message may not carry; newline and tab are kept.
const messageControls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// RFC 6838 §4.2 restricted names: type "/" subtype.
const mimeType = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

/** The code points of `text`, the unit the length limits count in (an emoji is one, not two UTF-16 units). */
function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * Checks and normalizes a nickname: NFC, whitespace collapsed to single spaces, trimmed,
 * 1 to `maxNicknameLength` code points, no control or format characters (which could hide or
 * reorder what others see).
 */
export function checkNickname(input: unknown, limits: ChatLimits): Checked<string> {
  if (typeof input !== 'string') return refuse('nickname must be a string');
  const nick = input.normalize('NFC').replace(/\s+/gu, ' ').trim();
  const length = characterCount(nick);
  if (length === 0) return refuse('nickname is empty');
  if (length > limits.maxNicknameLength)
    return refuse(`nickname is longer than ${limits.maxNicknameLength} characters`);
  if (otherCharacter.test(nick)) return refuse('nickname contains invisible or control characters');
  return { ok: true, value: nick };
}

/** Checks and normalizes a chat message: CRLF to LF, controls other than newline and tab removed, trimmed, not empty. */
export function checkText(input: unknown, limits: ChatLimits): Checked<string> {
  if (typeof input !== 'string') return refuse('text must be a string');
  const text = input.replace(/\r\n?/g, '\n').replace(messageControls, '').trim();
  if (text.length === 0) return refuse('text is empty');
  if (text.length > limits.maxTextLength) return refuse(`text is longer than ${limits.maxTextLength} characters`);
  return { ok: true, value: text };
}

/**
 * Parses one text frame from a client. The size is checked before `JSON.parse` so a huge
 * frame costs no parsing; anything but an object with a known `type` and valid fields is refused.
 */
export function parseClientMessage(data: string, limits: ChatLimits): Checked<ClientMessage> {
  // The longest valid message: maxTextLength characters, each escaped as \uXXXX, plus the envelope.
  if (data.length > limits.maxTextLength * 6 + 256) return refuse('message is too large');
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return refuse('message is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return refuse('message is not a JSON object');
  const message = parsed as Record<string, unknown>;
  switch (message.type) {
    case 'join': {
      const nick = checkNickname(message.nick, limits);
      return nick.ok ? { ok: true, value: { type: 'join', nick: nick.value } } : nick;
    }
    case 'message': {
      const text = checkText(message.text, limits);
      return text.ok ? { ok: true, value: { type: 'message', text: text.value } } : text;
    }
    default:
      return refuse('unknown message type');
  }
}

/**
 * Parses a client's file frame: a bounded header that is a JSON object with a file name (made
 * safe to show and to save: controls and path separators removed) and a MIME type (empty means
 * `application/octet-stream`), then at most `maxFileBytes` bytes. The returned bytes are a view
 * into `frame`, not a copy.
 */
export function parseFileFrame(frame: Uint8Array, limits: ChatLimits): Checked<FileOffer> {
  if (frame.length < 2) return refuse('file frame is too short');
  const headerLength = (frame[0]! << 8) | frame[1]!;
  if (headerLength > MAX_FILE_HEADER_BYTES) return refuse('file header is too large');
  if (frame.length < 2 + headerLength) return refuse('file frame is truncated');
  const size = frame.length - 2 - headerLength;
  if (size > limits.maxFileBytes) return refuse(`file is larger than ${limits.maxFileBytes} bytes`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame.subarray(2, 2 + headerLength)));
  } catch {
    return refuse('file header is not UTF-8 JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    return refuse('file header is not a JSON object');
  const { name, type } = header as Record<string, unknown>;
  if (typeof name !== 'string') return refuse('file name must be a string');
  const safeName = name
    .normalize('NFC')
    .replace(/[\p{C}/\\]/gu, '')
    .trim();
  if (safeName.length === 0) return refuse('file name is empty');
  if (characterCount(safeName) > limits.maxFileNameLength)
    return refuse(`file name is longer than ${limits.maxFileNameLength} characters`);
  if (typeof type !== 'string') return refuse('file type must be a string');
  if (type !== '' && !mimeType.test(type)) return refuse('file type is not a MIME type');
  return {
    ok: true,
    value: {
      name: safeName,
      type: type === '' ? 'application/octet-stream' : type.toLowerCase(),
      bytes: frame.subarray(2 + headerLength),
    },
  };
}

/** Encodes a file frame with the given header: the client's offer or the server's relay. */
export function encodeFileFrame(header: Readonly<Record<string, string | number>>, bytes: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  if (json.length > 0xffff) throw new RangeError('file header does not fit in 16 bits');
  const frame = Buffer.allocUnsafe(2 + json.length + bytes.length);
  frame.writeUInt16BE(json.length, 0);
  json.copy(frame, 2);
  frame.set(bytes, 2 + json.length);
  return frame;
}

/** Decodes a file frame the server relayed; the counterpart of {@link encodeFileFrame} for clients and tests. */
export function decodeSharedFile(frame: Uint8Array): SharedFile {
  const headerLength = (frame[0]! << 8) | frame[1]!;
  const header = JSON.parse(new TextDecoder().decode(frame.subarray(2, 2 + headerLength))) as {
    from: string;
    name: string;
    type: string;
    at: number;
  };
  return {
    from: header.from,
    name: header.name,
    type: header.type,
    at: header.at,
    bytes: frame.subarray(2 + headerLength),
  };
}
