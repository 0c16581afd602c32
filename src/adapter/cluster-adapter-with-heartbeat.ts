import {
  ClusterAdapter,
  ClusterMessageType,
  type ClusterAdapterOptions,
  type ClusterMessage,
} from './cluster-adapter.js';
import type { AdapterNamespace } from './types.js';

/** Timing of a cluster adapter whose nodes announce themselves. */
export interface ClusterAdapterWithHeartbeatOptions extends ClusterAdapterOptions {
  /**
   * How often this node announces it is alive, in ms.
   * @default 5000
   */
  heartbeatInterval?: number;
  /**
   * After how long without a message a node is considered gone, in ms.
   * @default 10000
   */
  heartbeatTimeout?: number;
}

/** The uid official emitters publish with: they are not nodes, and never counted as one. */
const EMITTER_UID = 'emitter';

/**
 * A cluster adapter for transports that cannot count their subscribers: each node announces
 * itself every `heartbeatInterval`, says goodbye when it closes, and is counted until it has
 * been silent for `heartbeatTimeout` (a node that crashed). The list of nodes is pruned on every
 * heartbeat, so it holds only nodes heard from recently.
 */
export abstract class ClusterAdapterWithHeartbeat extends ClusterAdapter {
  private readonly heartbeatInterval: number;
  private readonly heartbeatTimeout: number;
  /** The other nodes, by uid, with when each was last heard from. */
  private readonly nodes = new Map<string, number>();
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;

  constructor(nsp: AdapterNamespace, options: ClusterAdapterWithHeartbeatOptions = {}) {
    super(nsp, options);
    this.heartbeatInterval = options.heartbeatInterval ?? 5000;
    this.heartbeatTimeout = options.heartbeatTimeout ?? 10_000;
    if (this.heartbeatTimeout <= this.heartbeatInterval) {
      throw new TypeError('heartbeatTimeout must be longer than heartbeatInterval');
    }
  }

  override async init(): Promise<void> {
    await this.publish({ type: ClusterMessageType.InitialHeartbeat });
    this.heartbeatTimer = setInterval(() => {
      void this.publish({ type: ClusterMessageType.Heartbeat });
      this.dropSilentNodes();
    }, this.heartbeatInterval);
    this.heartbeatTimer.unref();
  }

  override async close(): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.nodes.clear();
    await super.close();
    await this.publish({ type: ClusterMessageType.AdapterClose });
  }

  override serverCount(): Promise<number> {
    this.dropSilentNodes();
    return Promise.resolve(this.nodes.size + 1);
  }

  override onMessage(message: ClusterMessage, offset?: string): void {
    if (typeof message !== 'object' || message === null || typeof message.uid !== 'string') return;
    if (message.uid === this.uid || message.nsp !== this.nsp.name) return;
    switch (message.type) {
      case ClusterMessageType.AdapterClose:
        this.nodes.delete(message.uid);
        return;
      case ClusterMessageType.InitialHeartbeat:
        // Answered at once, so that a node just started counts this one before the next interval.
        void this.publish({ type: ClusterMessageType.Heartbeat });
        break;
    }
    if (message.uid !== EMITTER_UID) this.nodes.set(message.uid, Date.now());
    super.onMessage(message, offset);
  }

  private dropSilentNodes(): void {
    const oldest = Date.now() - this.heartbeatTimeout;
    for (const [uid, lastSeen] of this.nodes) if (lastSeen < oldest) this.nodes.delete(uid);
  }
}
