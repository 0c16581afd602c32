import { describeBinary, IncomingQueue, type Closed, type Endpoint, type Incoming } from './endpoint.js';
import { SocketIoSession, type SessionOptions, type SocketIoListener } from './socket-io-session.js';
import type { Action } from './steps.js';

/** A Socket.IO session as `connect --sio` drives it: events and acknowledgements, shown as JSON. */
export class SocketIoEndpoint implements Endpoint {
  readonly closed: Promise<Closed>;

  private constructor(
    private readonly session: SocketIoSession,
    private readonly namespace: string,
    private readonly reports: SessionReports,
  ) {
    this.closed = session.closed.then(({ code, failure }) => {
      const problem = reports.protocolError ?? failure?.message;
      if (problem !== undefined) return { description: `connection lost: ${problem}`, clean: false };
      if (reports.disconnectReason !== undefined) {
        return { description: `disconnected: ${reports.disconnectReason}`, clean: true };
      }
      return code === 1006
        ? { description: 'connection lost (1006)', clean: false }
        : { description: 'disconnected', clean: true };
    });
  }

  /** Opens a session and joins the namespace; rejects as {@link SocketIoSession.open} does. */
  static async open(options: SessionOptions): Promise<SocketIoEndpoint> {
    const reports = new SessionReports();
    return new SocketIoEndpoint(await SocketIoSession.open(options, reports), options.namespace, reports);
  }

  get description(): string {
    return `namespace ${this.namespace}, sid ${this.session.sid}`;
  }

  listen(consumer: (incoming: Incoming) => void): void {
    this.reports.queue.listen(consumer);
  }

  perform(action: Action): string {
    switch (action.kind) {
      case 'emit': {
        const id = this.session.emit(action.event, action.args);
        return `emit ${action.event} ${showJson(action.args)} (ack ${id})`;
      }
      case 'ack':
        this.session.ack(action.id, action.args);
        return `ack ${action.id} ${showJson(action.args)}`;
      case 'close':
        this.session.disconnect();
        return 'disconnect';
      case 'send':
      case 'ping':
      case 'pong':
        // The step parser refuses these with --sio.
        throw new TypeError(`${action.kind} is for bare WebSockets`);
    }
  }

  close(): void {
    this.session.disconnect();
  }
}

/** What the session reports, kept from its first packet on: events and acks as lines, and why it ended. */
class SessionReports implements SocketIoListener {
  readonly queue = new IncomingQueue();
  disconnectReason: string | undefined;
  protocolError: string | undefined;

  onEvent(name: string, args: unknown[], ackId: number | undefined): void {
    const asks = ackId === undefined ? '' : ` (ack ${ackId} requested: answer with "ack ${ackId} [json args]")`;
    this.queue.push('<', `event ${name} ${showJson(args)}${asks}`);
  }

  onAck(id: number, args: unknown[]): void {
    this.queue.push('<', `ack ${id} ${showJson(args)}`);
  }

  onDisconnect(reason: string): void {
    this.disconnectReason ??= reason;
  }

  onProtocolError(message: string): void {
    this.protocolError ??= message;
  }
}

/** Arguments as JSON, with binary attachments shown as their length and first bytes. */
function showJson(value: readonly unknown[]): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, shown: unknown) {
    // JSON.stringify has already applied a Buffer's toJSON: the holder still has the original.
    const original = this[key];
    return original instanceof Uint8Array || original instanceof ArrayBuffer
      ? describeBinary(original instanceof ArrayBuffer ? new Uint8Array(original) : original)
      : shown;
  });
}
