import { encodeTopicMessage, parseTopicMessage, type TopicMessage } from '../apps/sensors/messages.js';
import { ERROR_TOPIC } from '../apps/sensors/device-endpoint.js';
import { ExitCode, type CommandContext } from '../command.js';
import { formatDuration } from '../connect/duration.js';
import { connectFailure, shownUrl } from '../connect/target.js';
import type { TlsSocketOptions } from '../connect/tls-options.js';
import { CloseCode, WebSocket, WebSocketError } from '../../ws/index.js';
import { SimulatedDevice } from './simulated-device.js';

/** What `switchboard sensor-sim` runs, its options checked. */
export interface SimulationPlan {
  /** The hub's device endpoint, with the credentials in it. */
  readonly url: URL;
  /** Whom to trust over `wss://` (`--ca`, `--insecure`). @default Node's bundled authorities */
  readonly tls?: TlsSocketOptions;
  readonly devices: number;
  readonly relays: number;
  /** Device names are `<prefix>-1`, `<prefix>-2`, … */
  readonly namePrefix: string;
  /** Time between two readings of each device (ms). */
  readonly interval: number;
  /** Stop after this long (ms); `undefined` runs until interrupted. */
  readonly duration: number | undefined;
}

/** Node's codes for a server certificate that does not verify against the authorities trusted. */
const UNVERIFIED_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** How long the handshake and the closing handshake may take (ms). */
const NETWORK_TIMEOUT = 5000;

function failure(error: unknown): string {
  if (error instanceof WebSocketError && error.status === 401)
    return 'the hub refused the credentials (401 Unauthorized): put them in the URL, ws://user:password@host/devices';
  if (UNVERIFIED_CERTIFICATE.has((error as NodeJS.ErrnoException).code ?? ''))
    return `the hub's certificate does not verify (${(error as Error).message}): trust it with --ca <file>`;
  return error instanceof Error ? connectFailure(error) : String(error);
}

function open(url: URL, tls: TlsSocketOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { handshakeTimeout: NETWORK_TIMEOUT, closeTimeout: NETWORK_TIMEOUT, ...tls });
    socket.once('open', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Runs the simulation: one connection per device, readings every `interval`, relay commands
 * obeyed and their new state published. Resolves with the exit code: 0 once stopped (by `signal`
 * or `duration`), 1 when a connection cannot be opened or the hub closes one.
 */
export async function runSimulation(plan: SimulationPlan, { stdout, stderr, signal }: CommandContext): Promise<number> {
  const devices = Array.from(
    { length: plan.devices },
    (_, index) => new SimulatedDevice(`${plan.namePrefix}-${index + 1}`, plan.relays),
  );
  const opened = await Promise.allSettled(devices.map(() => open(plan.url, plan.tls)));
  const sockets = opened.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const refused = opened.find((result) => result.status === 'rejected');
  if (refused !== undefined) {
    stderr.write(`switchboard sensor-sim: cannot connect to ${shownUrl(plan.url)}: ${failure(refused.reason)}\n`);
    await Promise.all(sockets.map(closeSocket));
    return ExitCode.Failure;
  }

  let readings = 0;
  let commands = 0;
  let lost: string | undefined;
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const send = (socket: WebSocket, { topic, payload }: TopicMessage): void =>
    socket.send(encodeTopicMessage(topic, payload));

  devices.forEach((device, index) => {
    const socket = sockets[index]!;
    socket.on('message', (data, isBinary) => {
      const message = isBinary ? { problem: 'a binary message' } : parseTopicMessage(data.toString(), ERROR_TOPIC);
      if ('problem' in message) {
        stderr.write(`${device.name}: ignored a message from the hub: ${message.problem}\n`);
      } else if (message.topic === ERROR_TOPIC) {
        stderr.write(
          `${device.name}: the hub refused a message: ${typeof message.payload === 'string' ? message.payload : JSON.stringify(message.payload)}\n`,
        );
      } else {
        const outcome = device.command(message.topic, message.payload);
        if (outcome.kind === 'ignored') {
          stderr.write(`${device.name}: ${outcome.reason}\n`);
          return;
        }
        commands++;
        stdout.write(`${device.name}: relay ${outcome.relay} ${outcome.state ? 'on' : 'off'} (command from the hub)\n`);
        send(socket, outcome.report);
      }
    });
    socket.once('close', (code, reason) => {
      lost ??= `${device.name}: the hub closed the connection (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`;
      stop();
    });
    for (const message of device.relayStates()) send(socket, message);
  });

  const publish = (): void => {
    devices.forEach((device, index) => {
      for (const message of device.readings()) send(sockets[index]!, message);
      readings++;
    });
  };
  publish();
  const timer = setInterval(publish, plan.interval);
  const deadline = plan.duration === undefined ? undefined : setTimeout(stop, plan.duration);
  signal.addEventListener('abort', stop, { once: true });
  stdout.write(
    `Connected to ${shownUrl(plan.url)} as ${devices.map((device) => device.name).join(', ')}\n` +
      `Publishing temperature and humidity every ${formatDuration(plan.interval)}` +
      (plan.duration === undefined ? '. Press Ctrl+C to stop.\n' : ` for ${formatDuration(plan.duration)}.\n`),
  );
  if (signal.aborted) stop();

  await stopped;
  clearInterval(timer);
  clearTimeout(deadline);
  signal.removeEventListener('abort', stop);
  const failed = lost;
  await Promise.all(sockets.map(closeSocket));
  if (failed !== undefined) {
    stderr.write(`switchboard sensor-sim: ${failed}\n`);
    return ExitCode.Failure;
  }
  const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  stdout.write(`Stopped after ${plural(readings, 'reading')} and ${plural(commands, 'relay command')}.\n`);
  return ExitCode.Ok;
}

/** Closes with 1000 and resolves once closed (the close timeout bounds the wait). */
function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.close(CloseCode.Normal);
  });
}
