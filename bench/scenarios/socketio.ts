import type { RunContext } from '../lib/context.js';
import type { ScenarioResult } from '../lib/results.js';
import { runSocketIoAck } from './socketio-ack.js';
import { runSocketIoBroadcast } from './socketio-broadcast.js';
import { runSocketIoEmit } from './socketio-emit.js';
import { runSocketIoMemory } from './socketio-memory.js';

/**
 * The Socket.IO scenarios, by the names `--only` takes: our Socket.IO server (src/server) against
 * the official one, driven by the same generators.
 */
export const SOCKET_IO_SCENARIOS: Readonly<Record<string, (context: RunContext) => Promise<ScenarioResult>>> = {
  'socketio-emit': runSocketIoEmit,
  'socketio-ack': runSocketIoAck,
  'socketio-broadcast': runSocketIoBroadcast,
  'socketio-memory': runSocketIoMemory,
};
