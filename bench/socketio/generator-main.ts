/**
 * The Socket.IO load generator process. A load says which client drives it: raw frames (an
 * Engine.IO session opened directly over WebSocket, packets pre-encoded and pre-masked, replies
 * recognised from their first bytes), cheap enough that the server is the limit; or the official
 * `socket.io-client`, as applications use it. The same generator drives every implementation.
 */
import type { RunningLoad } from '../load/running-load.js';
import { serveLoads } from '../load/serve-loads.js';
import { ClientAckRun, ClientEmitRun } from './client-loads.js';
import type { SocketIoLoad } from './protocol.js';
import { RawAckRun, RawEmitRun, RawFanOutRun, RawIdleRun } from './raw-loads.js';

function startLoad(load: SocketIoLoad): Promise<RunningLoad> {
  switch (load.kind) {
    case 'emit':
      return load.driver === 'raw' ? RawEmitRun.start(load) : ClientEmitRun.start(load);
    case 'ack':
      return load.driver === 'raw' ? RawAckRun.start(load) : ClientAckRun.start(load);
    case 'fan-out':
      return RawFanOutRun.start(load);
    case 'idle-clients':
      return RawIdleRun.start(load);
  }
}

serveLoads(startLoad);
