import { Duplex, type DuplexOptions } from 'node:stream';
import { ReadyState } from '../protocol/index.js';
import type { WebSocket } from './websocket.js';

/**
 * The stream's own `'error'` listener: the stream is destroyed, and an error the application does
 * not listen for is thrown, as any stream's would be.
 */
function onStreamError(this: Duplex, error: Error): void {
  this.removeListener('error', onStreamError);
  this.destroy();
  if (this.listenerCount('error') === 0) this.emit('error', error);
}

/** On `'end'` and on `'finish'`: once both sides are done (the peer's messages ended, ours were all sent), the stream goes. */
function destroyWhenDone(this: Duplex): void {
  if (!this.destroyed && this.readableEnded && this.writableFinished) this.destroy();
}

/**
 * Wraps a WebSocket in a Node `Duplex` stream, as `ws`'s `createWebSocketStream` does: each message
 * received is one chunk read (a `Buffer`; text as a string in `readableObjectMode`), each chunk
 * written is sent as one binary message (a string as text with `decodeStrings: false`), `end()`
 * closes the connection once what was written is sent, `destroy()` terminates it. Reading applies backpressure: while the stream's
 * buffer is full the socket is paused, so TCP slows the peer down. The connection's close ends the
 * readable side; its error destroys the stream with that error.
 *
 * @example
 * const stream = createWebSocketStream(new WebSocket('ws://localhost:8080'));
 * process.stdin.pipe(stream).pipe(process.stdout);
 */
export function createWebSocketStream(socket: WebSocket, options?: DuplexOptions): Duplex {
  // An error closes the connection with its close code by itself: terminating it on the way
  // down would cut off that close frame.
  let terminateOnDestroy = true;
  // The stream decides when it is done, from the connection's close, not from its own sides.
  const duplex = new Duplex({
    ...options,
    autoDestroy: false,
    emitClose: false,
    objectMode: false,
    writableObjectMode: false,
  });

  socket.on('message', (data, isBinary) => {
    if (!duplex.push(!isBinary && duplex.readableObjectMode ? data.toString() : data)) socket.pause();
  });
  socket.once('error', (error) => {
    if (duplex.destroyed) return;
    terminateOnDestroy = false;
    duplex.destroy(error);
  });
  socket.once('close', () => {
    if (!duplex.destroyed) duplex.push(null);
  });

  duplex._destroy = (error, callback) => {
    const emitClose = (): void => process.nextTick(() => duplex.emit('close'));
    if (socket.readyState === ReadyState.CLOSED) {
      callback(error);
      emitClose();
      return;
    }
    let reported = false;
    socket.once('error', (failure) => {
      reported = true;
      callback(failure);
    });
    socket.once('close', () => {
      if (!reported) callback(error);
      emitClose();
    });
    if (terminateOnDestroy) socket.terminate();
  };

  duplex._final = (callback) => {
    if (socket.readyState === ReadyState.CONNECTING) {
      // A handshake that fails never opens: its 'error' destroys the stream instead.
      socket.once('open', () => duplex._final(callback));
      return;
    }
    if (socket.readyState === ReadyState.CLOSED) return callback();
    socket.once('close', () => callback());
    socket.close();
  };

  duplex._read = () => {
    if (socket.isPaused) socket.resume();
  };

  duplex._write = (chunk: Buffer | string, _encoding, callback) => {
    if (socket.readyState === ReadyState.CONNECTING) {
      socket.once('open', () => duplex._write(chunk, _encoding, callback));
      return;
    }
    socket.send(chunk, callback);
  };

  duplex.on('end', destroyWhenDone);
  duplex.on('finish', destroyWhenDone);
  duplex.on('error', onStreamError);
  return duplex;
}
