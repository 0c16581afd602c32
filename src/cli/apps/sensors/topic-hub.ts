import { isCommand } from './device-topics.js';
import type { TopicMessage } from './messages.js';
import { RetainedStore } from './retained-store.js';

/** Where a message entered the hub; the MQTT bridge sends nothing back to the broker it came from. */
export type MessageOrigin = 'device' | 'page' | 'mqtt';

/** A message on its way through the hub. */
export interface HubMessage extends TopicMessage {
  readonly origin: MessageOrigin;
}

/** Something that hears every message: the pages' namespace, the device endpoint, the MQTT bridge. */
export type HubListener = (message: HubMessage) => void;

/**
 * The sensor hub's message switch: every message published by a device, a page or the broker
 * goes to every listener, and its payload is retained as the topic's current value (commands
 * excepted: replaying an old "switch on" to a device that reconnects would act on it again).
 */
export class TopicHub {
  /** The last value of each topic. */
  readonly retained: RetainedStore;
  private readonly listeners = new Set<HubListener>();

  constructor(maxRetainedTopics: number) {
    this.retained = new RetainedStore(maxRetainedTopics);
  }

  /** Retains and delivers `message`. */
  publish(message: HubMessage): void {
    if (!isCommand(message.topic)) this.retained.set(message.topic, message.payload);
    for (const listener of this.listeners) listener(message);
  }

  /** Adds a listener; call the function returned to remove it. */
  listen(listener: HubListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
