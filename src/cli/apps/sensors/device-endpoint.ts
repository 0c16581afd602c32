import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode } from '../../../protocol/index.js';
import { allOf, basicAuth, WebSocketServer, type WebSocket } from '../../../ws/index.js';
import { TokenBucket } from '../../chat/token-bucket.js';
import { sameOriginOr } from '../../origin-check.js';
import { commandDevice, sourceDevice } from './device-topics.js';
import { encodeTopicMessage, MAX_MESSAGE_BYTES, parseTopicMessage } from './messages.js';
import type { TopicHub } from './topic-hub.js';

/** The user name and password devices present with HTTP Basic authentication (`ws://user:password@host/devices`). */
export interface DeviceCredentials {
  readonly user: string;
  readonly password: string;
}

/** Options of {@link DeviceEndpoint}. */
export interface DeviceEndpointOptions {
  readonly credentials: DeviceCredentials;
  /** Device connections open at once; one more gets 503. */
  readonly maxConnections: number;
  /** Device names one connection may publish for (a gateway speaks for several). */
  readonly maxDevicesPerConnection: number;
  /** How long shutdown waits for close handshakes (ms). */
  readonly closeTimeout: number;
}

/**
 * Messages one device connection may send in a burst, and per second after it; a connection that
 * sends more is closed with 1008 (Policy Violation).
 */
export const DEVICE_MESSAGE_BURST = 50;
export const DEVICE_MESSAGES_PER_SECOND = 20;

/** The topic of the hub's answer to a message it could not take; `$` topics are never published. */
export const ERROR_TOPIC = '$error';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The bare-WebSocket side of the sensor hub. Devices connect with Basic credentials and send
 * `["topic", payload]` text messages. A connection that publishes under `sensors/<device>/…` or
 * `relays/<device>/…` speaks for `<device>` (the last to do so wins) and receives the relay
 * commands `["relays/<device>/<relay>/set", state]` that pages or the broker publish.
 */
export class DeviceEndpoint {
  /** The WebSocket server behind the endpoint (no listener of its own). */
  readonly wss: WebSocketServer;
  /** Which connection speaks for each device. */
  private readonly owners = new Map<string, WebSocket>();
  private readonly stopListening: () => void;

  constructor(
    private readonly hub: TopicHub,
    private readonly options: DeviceEndpointOptions,
  ) {
    // Compared as digests of equal length, in constant time, so the answer's timing tells nothing.
    const user = digest(options.credentials.user);
    const password = digest(options.credentials.password);
    const full = { status: 503, message: `The hub takes at most ${options.maxConnections} device connections` };
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_MESSAGE_BYTES,
      closeTimeout: options.closeTimeout,
      authenticate: allOf(
        // Devices send no Origin; a page on another site must not reach the devices with the visitor's network position.
        sameOriginOr(),
        basicAuth((given, secret) => {
          // Both compared every time: which of the two was wrong shows in no timing.
          const userMatches = timingSafeEqual(digest(given), user);
          return timingSafeEqual(digest(secret), password) && userMatches;
        }, 'sensor hub'),
        () => this.wss.clients.size < options.maxConnections || full,
      ),
    });
    this.wss.on('connection', (socket) => this.accept(socket));
    this.stopListening = hub.listen(({ topic, payload }) => {
      const device = commandDevice(topic);
      if (device !== undefined) this.owners.get(device)?.send(encodeTopicMessage(topic, payload));
    });
  }

  /** Takes an upgrade request for the endpoint's path. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (accepted, acceptedRequest) =>
      this.wss.emit('connection', accepted, acceptedRequest),
    );
  }

  /** Whether a connected device speaks for `device`. */
  isOnline(device: string): boolean {
    return this.owners.has(device);
  }

  /** Closes every device connection with 1001 (Going Away) and stops routing commands. */
  close(): Promise<void> {
    this.stopListening();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    const devices = new Set<string>();
    const bucket = new TokenBucket(DEVICE_MESSAGE_BURST, DEVICE_MESSAGES_PER_SECOND, Date.now);
    const refuse = (problem: string): void => socket.send(encodeTopicMessage(ERROR_TOPIC, problem));
    socket.on('message', (data, isBinary) => {
      if (!bucket.take()) {
        socket.close(CloseCode.PolicyViolation, 'too many messages');
        return;
      }
      if (isBinary) {
        socket.close(CloseCode.UnsupportedData, 'send text messages: ["topic", payload]');
        return;
      }
      const message = parseTopicMessage(data.toString());
      if ('problem' in message) return refuse(message.problem);
      const device = sourceDevice(message.topic);
      if (device !== undefined && !devices.has(device)) {
        if (devices.size >= this.options.maxDevicesPerConnection)
          return refuse(`one connection may speak for at most ${this.options.maxDevicesPerConnection} devices`);
        devices.add(device);
      }
      if (device !== undefined) this.owners.set(device, socket);
      this.hub.publish({ ...message, origin: 'device' });
    });
    socket.on('close', () => {
      for (const device of devices) if (this.owners.get(device) === socket) this.owners.delete(device);
    });
  }
}
