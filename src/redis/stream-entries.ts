/*
 * The entries of the Redis stream the Streams adapter shares with `@socket.io/redis-streams-adapter`:
 * one entry per cluster message, with the fields `uid`, `nsp`, `type` (the message type as text)
 * and `data`: JSON, or, when it holds binary data, its MessagePack bytes in base64. Entry ids
 * (`<ms>-<seq>`) are the offsets clients recover from.
 */
import { Buffer } from 'node:buffer';
import type { ClusterMessage } from '../adapter/index.js';
import { hasBinary } from '../protocol/socket-io/index.js';
import { MSGPACK_PARSER } from './parser.js';
import { readClusterMessage } from './cluster-wire.js';

/** What a stream entry id looks like. */
const ENTRY_ID = /^\d+-\d+$/;

/** Whether `id` is a stream entry id. */
export function isEntryId(id: string): boolean {
  return ENTRY_ID.test(id);
}

/** Orders two entry ids as the stream does: negative when `a` comes first. */
export function compareIds(a: string, b: string): number {
  const [aMs = '0', aSeq = '0'] = a.split('-');
  const [bMs = '0', bSeq = '0'] = b.split('-');
  const ms = BigInt(aMs) - BigInt(bMs);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(aSeq) - BigInt(bSeq);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

/** The field/value list of XADD for `message`; `plaintext` skips looking for binary data. */
export function encodeEntry(message: ClusterMessage, plaintext: boolean): string[] {
  const fields = ['uid', message.uid, 'nsp', message.nsp, 'type', String(message.type)];
  if ('data' in message) {
    const data = message.data;
    const bytes = !plaintext && hasBinary(data) ? MSGPACK_PARSER.encode(data) : undefined;
    fields.push('data', bytes ? Buffer.from(bytes).toString('base64') : JSON.stringify(data));
  }
  return fields;
}

/** One entry as XREAD and XRANGE give it. */
export type StreamEntry = readonly [id: string, fields: readonly string[]];

function isEntry(value: unknown): value is StreamEntry {
  return (
    Array.isArray(value) &&
    typeof value[0] === 'string' &&
    Array.isArray(value[1]) &&
    (value[1] as unknown[]).every((field) => typeof field === 'string')
  );
}

/** The entries of an XRANGE reply; throws on a reply of another shape. */
export function rangeEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply) || !reply.every(isEntry)) throw new Error('unexpected reply to XRANGE');
  return reply;
}

/** The entries of an XREAD reply for one stream (none when it timed out); throws on another shape. */
export function readEntries(reply: unknown): StreamEntry[] {
  if (reply === null) return [];
  const streams = reply as unknown[];
  const first = Array.isArray(streams) ? (streams[0] as unknown[] | undefined) : undefined;
  if (!Array.isArray(first)) throw new Error('unexpected reply to XREAD');
  return rangeEntries(first[1]);
}

/** Reads the cluster message an entry holds; throws on an entry that holds none. */
export function decodeEntry(fields: readonly string[]): ClusterMessage {
  const raw: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) raw[fields[i]!] = fields[i + 1]!;
  const { uid, nsp, type, data } = raw;
  if (uid === undefined || nsp === undefined || type === undefined)
    throw new Error('an entry without uid, nsp or type');
  const message: Record<string, unknown> = { uid, nsp, type: Number(type) };
  if (data !== undefined) {
    message.data = data.startsWith('{') ? JSON.parse(data) : MSGPACK_PARSER.decode(Buffer.from(data, 'base64'));
  }
  return readClusterMessage(message) as ClusterMessage;
}
