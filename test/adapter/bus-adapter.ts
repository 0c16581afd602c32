import {
  ClusterAdapterWithHeartbeat,
  type AdapterConstructor,
  type AdapterNamespace,
  type ClusterMessage,
  type ClusterMessageType,
  type ClusterResponse,
} from '../../src/adapter/index.js';

/** An in-process message bus: delivers asynchronously and through structuredClone, like a real transport would serialize. */
export class Bus {
  readonly adapters = new Set<BusAdapter>();
  /** Every response sent, as it went on the wire. */
  readonly replies: ClusterResponse[] = [];
  published = 0;

  /** Every message published, as it went on the wire. */
  readonly messages: ClusterMessage[] = [];

  publish(message: ClusterMessage): Promise<void> {
    this.published++;
    this.messages.push(structuredClone(message));
    for (const adapter of this.adapters) setImmediate(() => adapter.onMessage(structuredClone(message)));
    return Promise.resolve();
  }

  /** The request id of the last message of `type` that carried one. */
  lastRequestId(type: ClusterMessageType): string {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const message = this.messages[i]!;
      if (message.type === type && 'data' in message && 'requestId' in message.data && message.data.requestId) {
        return message.data.requestId;
      }
    }
    throw new Error(`no message of type ${type} with a request id`);
  }

  reply(uid: string, response: ClusterResponse): Promise<void> {
    this.replies.push(structuredClone(response));
    for (const adapter of this.adapters) {
      if (adapter.uid === uid) setImmediate(() => adapter.onResponse(structuredClone(response)));
    }
    return Promise.resolve();
  }
}

/** A cluster adapter whose transport is a {@link Bus}. */
export class BusAdapter extends ClusterAdapterWithHeartbeat {
  constructor(
    nsp: AdapterNamespace,
    private readonly bus: Bus,
    timing = 2000,
  ) {
    super(nsp, { heartbeatInterval: 50, heartbeatTimeout: timing, requestsTimeout: 200 });
    bus.adapters.add(this);
  }

  protected doPublish(message: ClusterMessage): Promise<void> {
    return this.bus.publish(message);
  }

  protected doPublishResponse(uid: string, response: ClusterResponse): Promise<void> {
    return this.bus.reply(uid, response);
  }
}

/** An adapter class for `new Server({ adapter })`, every namespace of every server on `bus`. */
export function busAdapter(bus: Bus): AdapterConstructor {
  return class extends BusAdapter {
    constructor(nsp: AdapterNamespace) {
      super(nsp, bus);
    }
  };
}
