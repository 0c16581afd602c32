/**
 * The hub's one message shape, as devices send it over a bare WebSocket: a JSON array
 * `["topic", payload]` in a text message (the Clown.Talk format), with any JSON value as payload.
 */
import { topicNameProblem } from './topics.js';

/** A JSON value, as a payload may be. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** One message of the hub: a topic name and its payload. */
export interface TopicMessage {
  readonly topic: string;
  readonly payload: JsonValue;
}

/** The largest encoded message accepted from a device, a broker or a page, in bytes. */
export const MAX_MESSAGE_BYTES = 4096;

/** Encodes a message as devices read it: `["topic",payload]`. */
export function encodeTopicMessage(topic: string, payload: JsonValue): string {
  return JSON.stringify([topic, payload]);
}

/**
 * Reads `["topic", payload]` from the text of a message; answers why it is not one instead of
 * throwing, since the text comes from the network.
 */
export function parseTopicMessage(text: string, reservedTopic?: string): TopicMessage | { readonly problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'a message must be JSON: ["topic", payload]' };
  }
  if (!Array.isArray(value) || value.length !== 2) return { problem: 'a message must be an array ["topic", payload]' };
  const [topic, payload] = value as [unknown, JsonValue];
  // `reservedTopic` (the hub's `$error`, read by a device) is taken as it is; any other topic must be a valid name.
  const problem = topic === reservedTopic && reservedTopic !== undefined ? undefined : topicNameProblem(topic);
  return problem === undefined ? { topic: topic as string, payload } : { problem };
}

/** Reads a payload that arrived as bytes (from an MQTT broker): JSON when it parses, else the text itself. */
export function payloadFromBytes(bytes: Uint8Array): JsonValue {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}
