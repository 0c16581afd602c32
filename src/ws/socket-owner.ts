import type { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';

/** Whatever currently handles a socket's events: first its handshake, then its `WebSocket`. */
export interface SocketOwner {
  receive(chunk: Buffer): void;
  handleSocketEnd(): void;
  handleSocketClose(): void;
  handleSocketError(error: Error): void;
  handleSocketDrain(): void;
}

const OWNER = Symbol('socketOwner');

/** A socket that carries its current owner. */
type OwnedSocket = Duplex & { [OWNER]?: SocketOwner };

function onData(this: OwnedSocket, chunk: Buffer): void {
  this[OWNER]!.receive(chunk);
}
function onEnd(this: OwnedSocket): void {
  this[OWNER]!.handleSocketEnd();
}
function onClose(this: OwnedSocket): void {
  this[OWNER]!.handleSocketClose();
}
function onError(this: OwnedSocket, error: Error): void {
  this[OWNER]!.handleSocketError(error);
}
function onDrain(this: OwnedSocket): void {
  this[OWNER]!.handleSocketDrain();
}

/** The socket's current owner, if it has been given one. */
export function socketOwner(socket: Duplex): SocketOwner | undefined {
  return (socket as OwnedSocket)[OWNER];
}

/**
 * Routes a socket's events to `owner`. The listeners are shared functions, added once per socket,
 * that find the owner on the socket itself: no closure per connection, and when a handshake hands
 * its socket to a `WebSocket` no listener is removed (removing one would turn the socket's listener
 * table into a slower, larger dictionary for the rest of its life).
 */
export function setSocketOwner(socket: Duplex, owner: SocketOwner): void {
  const owned = socket as OwnedSocket;
  const listening = owned[OWNER] !== undefined;
  owned[OWNER] = owner;
  if (listening) return;
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('close', onClose);
  socket.on('error', onError);
  socket.on('drain', onDrain);
}

/**
 * Owns a socket while the server decides on its handshake (an `authenticate` hook may take a
 * while): reading stays paused, so bytes that follow the request wait for the `WebSocket`, and an
 * error destroys the socket quietly instead of going unhandled.
 */
export class HandshakeGuard implements SocketOwner {
  constructor(private readonly socket: Duplex) {
    socket.pause();
  }

  receive(chunk: Buffer): void {
    // Only reachable if something resumed the socket: keep the bytes for the WebSocket.
    this.socket.pause();
    this.socket.unshift(chunk);
  }

  handleSocketEnd(): void {
    // The peer half-closed while its handshake is decided: as in ws, hooks still see a writable
    // socket and the handshake runs to its end (bounded by handshakeTimeout), where a socket that
    // can no longer be read is destroyed rather than accepted, and a refusal is still answered.
  }

  handleSocketClose(): void {}

  handleSocketError(): void {
    this.socket.destroy();
  }

  handleSocketDrain(): void {}
}
