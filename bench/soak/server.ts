/**
 * The server process of the soak run: the WebSocket server (`ws`) or the realtime server (`io`)
 * on 127.0.0.1 with its defaults, permessage-deflate accepted (so that deflate bombs reach the
 * inflater) and nothing else changed. It echoes (messages up to 64 KiB; the `echo` event with its
 * acknowledgement), broadcasts a small tick every 5 s, and reports what it holds, role by role, as
 * each connection names its role in its URL (a path for the WebSocket server, a `role` query
 * parameter for the realtime server).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '../../src/engine/index.js';
import { Server, type Socket } from '../../src/server/index.js';
import { defaultInflateBudget, defaultSendBudget, WebSocketServer, type WebSocket } from '../../src/ws/index.js';
import { announce, serveRequests } from '../lib/child-ipc.js';
import type { BudgetStats, ServerRoleStats, ServerStats, SoakServerKind, SoakServerRequest } from './protocol.js';

/** Largest message echoed: the soak's slow clients ask for echoes of this size. */
const ECHO_LIMIT = 64 * 1024;
const TICK_MS = 5000;
const SAMPLE_MS = 500;

const kind = process.argv[2] as SoakServerKind;
if (kind !== 'ws' && kind !== 'io') throw new Error(`usage: server.ts ws|io, got ${String(kind)}`);

const roles = new Map<string, ServerRoleStats>();
function roleStats(role: string): ServerRoleStats {
  let stats = roles.get(role);
  if (stats === undefined) roles.set(role, (stats = { open: 0, accepted: 0, ended: {}, peakHeldBytes: 0 }));
  return stats;
}

function opened(role: string): ServerRoleStats {
  const stats = roleStats(role);
  stats.open++;
  stats.accepted++;
  return stats;
}

function ended(stats: ServerRoleStats, how: string): void {
  stats.open--;
  stats.ended[how] = (stats.ended[how] ?? 0) + 1;
}

/** Per connection: its role's stats and how many bytes the server holds for it now. */
const held = new Map<object, { stats: ServerRoleStats; bytes: () => number }>();
let containedErrors = 0;
let connectionCount: () => number;

if (kind === 'ws') {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  wss.on('connection', (socket: WebSocket, request) => {
    const stats = opened((request.url ?? '/').slice(1) || 'unnamed');
    held.set(socket, { stats, bytes: () => socket.bufferedAmount });
    socket.on('error', () => undefined);
    socket.on('message', (data, isBinary) => {
      if (data.length <= ECHO_LIMIT) socket.send(data, { binary: isBinary });
    });
    socket.on('close', (code) => {
      held.delete(socket);
      ended(stats, `close ${code}`);
    });
  });
  setInterval(() => wss.broadcast('tick'), TICK_MS).unref();
  connectionCount = () => wss.clients.size;
  announce({ type: 'ready', port: (wss.address() as AddressInfo).port, pid: process.pid });
} else {
  const http = createHttpServer();
  const io = new Server(http, { perMessageDeflate: true });
  io.on('error', () => containedErrors++);
  io.on('connection', (socket: Socket) => {
    const role = String(socket.handshake.query['role'] ?? 'unnamed');
    const stats = opened(role);
    held.set(socket, { stats, bytes: () => socket.client.pendingAttachmentBytes });
    socket.on('echo', (...args: unknown[]) => {
      const ack = args.pop();
      if (typeof ack === 'function') ack(...args);
    });
    if (role === 'wide-ack') socket.emit('question', () => undefined);
    socket.on('disconnect', (reason: string) => {
      held.delete(socket);
      ended(stats, reason);
    });
  });
  setInterval(() => io.emit('tick'), TICK_MS).unref();
  http.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => http.once('listening', resolve));
  connectionCount = () => io.engine.clientsCount;
  announce({ type: 'ready', port: (http.address() as AddressInfo).port, pid: process.pid });
}

let sendPeak = 0;
let inflatePeak = 0;
setInterval(() => {
  for (const { stats, bytes } of held.values()) {
    const now = bytes();
    if (now > stats.peakHeldBytes) stats.peakHeldBytes = now;
  }
  sendPeak = Math.max(sendPeak, defaultSendBudget.queuedBytes);
  inflatePeak = Math.max(inflatePeak, defaultInflateBudget.inflatingBytes);
}, SAMPLE_MS).unref();

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

function budget(limit: number, now: number, peak: number, closedConnections: number): BudgetStats {
  return { limit, held: now, peak: Math.max(peak, now), closedConnections };
}

serveRequests<SoakServerRequest>((request): ServerStats => {
  switch (request.type) {
    case 'stats': {
      // The histogram is in nanoseconds; reports are in microseconds, as the generators' are.
      const eventLoopDelay = {
        count: delay.count,
        p50: delay.percentile(50) / 1000,
        p99: delay.percentile(99) / 1000,
        max: delay.max / 1000,
      };
      delay.reset();
      return {
        connections: connectionCount(),
        roles: Object.fromEntries(roles),
        sendBudget: budget(
          defaultSendBudget.limit,
          defaultSendBudget.queuedBytes,
          sendPeak,
          defaultSendBudget.closedConnections,
        ),
        inflateBudget: budget(
          defaultInflateBudget.limit,
          defaultInflateBudget.inflatingBytes,
          inflatePeak,
          defaultInflateBudget.closedConnections,
        ),
        containedErrors,
        eventLoopDelay,
      };
    }
  }
});
