import { WebSocket, type WebSocketOptions } from '../../ws/index.js';
import { describeBinary, IncomingQueue, type Closed, type Endpoint, type Incoming } from './endpoint.js';
import type { Action } from './steps.js';

/** A bare WebSocket as `connect` drives it: text and binary messages, pings, pongs and the close. */
export class WebSocketEndpoint implements Endpoint {
  readonly closed: Promise<Closed>;
  private readonly queue = new IncomingQueue();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => this.queue.push('<', isBinary ? describeBinary(data) : data.toString()));
    socket.on('ping', (data) => this.queue.push('*', `ping${quoted(data)}`));
    socket.on('pong', (data) => this.queue.push('*', `pong${quoted(data)}`));
    this.closed = new Promise((resolve) => {
      let failure: Error | undefined;
      socket.on('error', (error) => (failure ??= error));
      socket.on('close', (code, reason) => {
        // 1005: the close frame had no code; 1006: no close frame at all.
        const shownCode = code === 1005 ? 'without a code' : String(code);
        const because = failure === undefined ? '' : `: ${failure.message}`;
        const clean = code !== 1006 && failure === undefined;
        resolve({
          description: clean ? `closed ${shownCode}${quoted(reason)}` : `connection lost (${code})${because}`,
          clean,
        });
      });
    });
  }

  /** Opens a WebSocket to `url`; rejects with the handshake's error (refused, 404, timeout...). */
  static open(url: URL, protocols: string[], options: WebSocketOptions): Promise<WebSocketEndpoint> {
    const socket = new WebSocket(url, protocols, options);
    const endpoint = new WebSocketEndpoint(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(endpoint));
      socket.once('error', reject);
    });
  }

  get description(): string {
    const parts = [this.socket.protocol === '' ? '' : `subprotocol ${this.socket.protocol}`, this.socket.extensions];
    return parts.filter((part) => part !== '').join(', ');
  }

  listen(consumer: (incoming: Incoming) => void): void {
    this.queue.listen(consumer);
  }

  perform(action: Action): string {
    switch (action.kind) {
      case 'send':
        this.socket.send(action.text);
        return action.text;
      case 'ping':
      case 'pong':
        this.socket[action.kind](action.data);
        return `${action.kind}${quoted(action.data)}`;
      case 'close':
        this.socket.close(action.code ?? 1000, action.reason);
        return `close ${action.code ?? 1000}${quoted(action.reason)}`;
      case 'emit':
      case 'ack':
        // The step parser refuses these without --sio.
        throw new TypeError(`${action.kind} needs --sio`);
    }
  }

  close(): void {
    this.socket.close(1000);
  }
}

/** ` "data"` for a control payload or close reason, nothing when it is empty. */
function quoted(data: Buffer | string): string {
  const text = data.toString();
  return text === '' ? '' : ` ${JSON.stringify(text)}`;
}
