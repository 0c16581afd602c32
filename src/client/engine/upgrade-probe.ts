/**
 * The client's side of an upgrade from polling to WebSocket (Engine.IO protocol v4, "Upgrade"):
 * open a WebSocket with the session id, send `2probe`, expect `3probe`. The session then pauses
 * polling and sends `5` over the WebSocket; until then the probe is the WebSocket's listener.
 */
import { PacketType, type Packet } from '../../protocol/engine-io/index.js';
import { startTimer, type Timer } from './timer.js';
import { TransportError, type ClientTransport, type TransportListener } from './transport.js';

/** What the probe reports to the session. */
export interface ProbeHost {
  /** The server answered the probe: the session may pause polling and switch. */
  probeAnswered(probe: UpgradeProbe): void;
  /** The probe failed; its WebSocket is already closed. */
  probeFailed(probe: UpgradeProbe, error: TransportError): void;
}

const PROBE = 'probe';

/** One attempt to move a polling session onto a WebSocket. */
export class UpgradeProbe implements TransportListener {
  /** The WebSocket being tried. */
  readonly candidate: ClientTransport;
  readonly #host: ProbeHost;
  readonly #timer: Timer;
  #answered = false;

  /** Starts the probe; it fails by itself when not completed within `timeout` ms. */
  constructor(candidate: ClientTransport, host: ProbeHost, timeout: number) {
    this.candidate = candidate;
    this.#host = host;
    candidate.listener = this;
    this.#timer = startTimer(timeout, () => this.#fail(new TransportError('probe error', 'timeout')));
    candidate.open();
  }

  onTransportOpen(): void {
    this.candidate.send([{ type: PacketType.Ping, data: PROBE }]);
  }

  onTransportPacket(packet: Packet): void {
    if (this.#answered || packet.type !== PacketType.Pong || packet.data !== PROBE) {
      this.#fail(new TransportError('probe error', `unexpected ${packet.type} packet`));
      return;
    }
    this.#answered = true;
    this.#host.probeAnswered(this);
  }

  onTransportDrain(): void {}

  onTransportError(error: TransportError): void {
    this.#fail(new TransportError('probe error', error));
  }

  onTransportClose(description: unknown): void {
    this.#fail(new TransportError('probe error', 'transport closed', description));
  }

  /**
   * The session took the WebSocket over (or gave the probe up, with `abandon`): the timer stops
   * and the probe reports nothing more.
   */
  finish(): void {
    clearTimeout(this.#timer);
  }

  /** Gives the probe up: the WebSocket closes, nothing is reported. Called on a live probe only. */
  abandon(): void {
    this.finish();
    this.candidate.close();
  }

  /** Reached only while the probe is live: `finish` stops its timer and the WebSocket's reports. */
  #fail(error: TransportError): void {
    this.abandon();
    this.#host.probeFailed(this, error);
  }
}
