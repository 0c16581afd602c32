/**
 * The Socket.IO load generator process. A load says which client drives it: raw frames (an
 * Engine.IO session opened directly over WebSocket, packets pre-encoded and pre-masked, replies
 * recognised from their first bytes), cheap enough that the server is the limit; or the official
 * `socket.io-client`, as applications use it. The same generator drives every implementation.
 */
import { announce, serveRequests } from '../lib/child-ipc.js';
import type { RunningLoad } from '../load/running-load.js';
import { ClientAckRun, ClientEmitRun } from './client-loads.js';
import type { SocketIoGeneratorRequest, SocketIoLoad } from './protocol.js';
import { RawAckRun, RawEmitRun, RawFanOutRun, RawIdleRun } from './raw-loads.js';

let current: RunningLoad | undefined;

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

function running(): RunningLoad {
  if (current === undefined) throw new Error('no load is running');
  return current;
}

serveRequests<SocketIoGeneratorRequest>(async (request) => {
  switch (request.type) {
    case 'start': {
      if (current !== undefined) throw new Error('a load is already running');
      current = await startLoad(request.load);
      return current.details;
    }
    case 'go':
      return running().go();
    case 'sample':
      return running().sample(request.resetLatency);
    case 'stop': {
      const result = running().stop();
      current = undefined;
      return result;
    }
  }
});
announce({ type: 'ready' });
