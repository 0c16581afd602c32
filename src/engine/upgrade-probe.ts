import { PacketType, type EngineIOParseError, type Packet } from '../protocol/engine-io/index.js';
import { createDebugLog } from '../diagnostics/debug.js';
import type { Transport, TransportError, TransportListener } from './transport.js';

const debug = createDebugLog('engine');

/** What a probe needs of the session it upgrades. */
export interface UpgradingSession {
  /** The session id. */
  readonly id: string;
  /** Whether the session has closed. */
  readonly closed: boolean;
  /** The client answered the probe: the session tells the application and ends its held poll. */
  probeAnswered(candidate: Transport): void;
  /** The client asked to switch: the session moves to `candidate`. */
  upgradeRequested(candidate: Transport): void;
  /** The probe is over, switched or failed. */
  probeEnded(): void;
}

/**
 * A WebSocket offered to a polling session (Engine.IO protocol v4, "Upgrade"): answers the
 * client's `2probe` with `3probe`, and hands the transport to the session on the `5` (upgrade)
 * packet. Anything else, a failure or no upgrade within the timeout closes the candidate and
 * leaves the session on polling.
 */
export class UpgradeProbe implements TransportListener {
  /** Whether `3probe` has gone out: the session's held poll must then end with a noop. */
  probed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly session: UpgradingSession,
    private readonly candidate: Transport,
    timeout: number,
  ) {
    candidate.listener = this;
    this.timer = setTimeout(() => this.fail(), timeout);
  }

  onTransportPacket(packet: Packet): void {
    if (packet.type === PacketType.Ping && packet.data === 'probe' && !this.probed) {
      this.candidate.send([{ type: PacketType.Pong, data: 'probe' }], false);
      this.probed = true;
      this.session.probeAnswered(this.candidate);
    } else if (packet.type === PacketType.Upgrade && !this.session.closed) {
      this.end();
      this.session.upgradeRequested(this.candidate);
    } else {
      this.fail();
    }
  }

  onTransportParseError(_error: EngineIOParseError): void {
    this.fail();
  }

  onTransportError(_error: TransportError): void {
    this.fail();
  }

  onTransportClose(): void {
    this.fail();
  }

  onTransportReady(): void {}

  /** Gives up: the candidate closes, the session stays where it is. */
  fail(): void {
    debug('upgrade of session %s to %s given up', this.session.id, this.candidate.name);
    this.end();
    this.candidate.close();
  }

  private end(): void {
    clearTimeout(this.timer);
    if (this.candidate.listener === this) this.candidate.listener = undefined;
    this.session.probeEnded();
  }
}
