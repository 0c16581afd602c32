import type { JsonValue, TopicMessage } from '../apps/sensors/messages.js';

/** Keeps a value within bounds and to `decimals` places, as a sensor would report it. */
function step(value: number, spread: number, min: number, max: number, decimals: number, random: () => number): number {
  const next = Math.min(max, Math.max(min, value + (random() * 2 - 1) * spread));
  return Number(next.toFixed(decimals));
}

/** What a device does with a message from the hub. */
export type CommandOutcome =
  | { readonly kind: 'switched'; readonly relay: number; readonly state: boolean; readonly report: TopicMessage }
  | { readonly kind: 'ignored'; readonly reason: string };

/**
 * One simulated device: a thermometer and hygrometer whose readings wander slowly, and relays
 * that switch when the hub sends `["relays/<name>/<relay>/set", true | false]`.
 */
export class SimulatedDevice {
  private temperature: number;
  private humidity: number;
  private readonly relays: boolean[];

  constructor(
    readonly name: string,
    relayCount: number,
    private readonly random: () => number = Math.random,
  ) {
    this.temperature = step(21, 3, 10, 35, 1, random);
    this.humidity = step(45, 10, 20, 80, 0, random);
    this.relays = Array.from({ length: relayCount }, () => false);
  }

  /** The next temperature (°C) and relative humidity (%) readings. */
  readings(): TopicMessage[] {
    this.temperature = step(this.temperature, 0.4, 10, 35, 1, this.random);
    this.humidity = step(this.humidity, 1.5, 20, 80, 0, this.random);
    return [
      { topic: `sensors/${this.name}/temperature`, payload: this.temperature },
      { topic: `sensors/${this.name}/humidity`, payload: this.humidity },
    ];
  }

  /** The state of every relay, as the device announces it when it connects. */
  relayStates(): TopicMessage[] {
    return this.relays.map((state, relay) => ({ topic: `relays/${this.name}/${relay}`, payload: state }));
  }

  /** Obeys a relay command addressed to this device; anything else is ignored, with the reason. */
  command(topic: string, payload: JsonValue): CommandOutcome {
    const match = /^relays\/([^/]+)\/(\d{1,3})\/set$/.exec(topic);
    if (match?.[1] !== this.name) return { kind: 'ignored', reason: `not a relay command for ${this.name}: ${topic}` };
    const relay = Number(match[2]);
    if (relay >= this.relays.length) return { kind: 'ignored', reason: `${this.name} has no relay ${relay}` };
    if (typeof payload !== 'boolean') return { kind: 'ignored', reason: `relay state must be true or false: ${topic}` };
    this.relays[relay] = payload;
    return { kind: 'switched', relay, state: payload, report: { topic: `relays/${this.name}/${relay}`, payload } };
  }
}
