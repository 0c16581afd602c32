import {
  ClusterAdapter,
  type AdapterConstructor,
  type AdapterNamespace,
  type ClusterMessage,
  type ClusterResponse,
} from '../../src/adapter/index.js';

/** An in-process message bus: delivers asynchronously and through structuredClone, like a real transport would serialize. */
export class Bus {
  readonly adapters = new Set<BusAdapter>();
  published = 0;

  publish(message: ClusterMessage): Promise<void> {
    this.published++;
    for (const adapter of this.adapters) setImmediate(() => adapter.onMessage(structuredClone(message)));
    return Promise.resolve();
  }

  reply(uid: string, response: ClusterResponse): Promise<void> {
    for (const adapter of this.adapters) {
      if (adapter.uid === uid) setImmediate(() => adapter.onResponse(structuredClone(response)));
    }
    return Promise.resolve();
  }
}

/** A cluster adapter whose transport is a {@link Bus}. */
export class BusAdapter extends ClusterAdapter {
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
