import { randomUUID } from 'node:crypto';
import type { IPublishPacket, MqttClient, connect } from 'mqtt';
import { loadOptionalPackage } from '../../optional-package.js';
import { MAX_MESSAGE_BYTES, payloadFromBytes } from './messages.js';
import type { TopicHub } from './topic-hub.js';
import { topicNameProblem } from './topics.js';

/** Options of the MQTT bridge. */
export interface MqttBridgeOptions {
  /** The broker, e.g. `mqtt://127.0.0.1:1883` (also `mqtts:`, `ws:`, `wss:`; credentials in the URL are used). */
  readonly url: string;
  /**
   * The broker topic the hub's topic space lives under: hub topic `sensors/a/temperature` is
   * `<prefix>/sensors/a/temperature` on the broker. @default 'switchboard'
   */
  readonly prefix?: string;
}

/** What the `mqtt` package is needed for, as an error names it when it is not installed. */
export const MQTT_BRIDGE_USE = 'the MQTT bridge (--mqtt)';

/** The prefix used when none is given. */
export const DEFAULT_MQTT_PREFIX = 'switchboard';

/** The MQTT 5 user property that marks a message the hub published, with the hub's id as value. */
export const BRIDGE_MARK = 'switchboard-hub';

/** What the bridge says about its connection, for the operator. */
export type BridgeReport = (line: string) => void;

/**
 * Checks bridge options once, at creation: a wrong URL or prefix is a `TypeError` naming it, as
 * `names` call the two (the option names, or the command line's flags).
 */
export function checkMqttOptions(
  options: MqttBridgeOptions,
  names = { url: 'mqtt.url', prefix: 'mqtt.prefix' },
): Required<MqttBridgeOptions> {
  const url = URL.canParse(options.url) ? new URL(options.url) : undefined;
  if (url === undefined || !/^(mqtts?|wss?):$/.test(url.protocol))
    throw new TypeError(`${names.url} must be a broker URL such as mqtt://127.0.0.1:1883, got "${options.url}"`);
  const prefix = options.prefix ?? DEFAULT_MQTT_PREFIX;
  const problem = topicNameProblem(prefix);
  if (problem !== undefined) throw new TypeError(`${names.prefix} must be a topic name: ${problem}`);
  return { url: options.url, prefix };
}

/**
 * Bridges the hub to an MQTT broker, both ways: broker messages under `<prefix>/#` are published
 * into the hub (prefix removed), and hub messages that did not come from the broker are published
 * to it (prefix added). No message goes round in a loop: the subscription asks the broker not to
 * send back the bridge's own publications (MQTT 5 No Local, §3.8.3.1), each publication carries
 * the hub's id in a user property that the bridge ignores when it sees it again (a broker
 * bridged to another broker forwards it under another client id), and what came from the broker
 * is never sent to it again.
 *
 * While the broker is unreachable, the bridge reconnects every second and drops what it would
 * publish (QoS 0, not queued), so an absent broker costs no memory.
 */
export class MqttBridge {
  private readonly client: MqttClient;
  private readonly id = randomUUID();
  private readonly prefix: string;
  private readonly stopListening: () => void;
  private subscribed = false;

  constructor(hub: TopicHub, options: MqttBridgeOptions, report: BridgeReport) {
    const { url, prefix } = checkMqttOptions(options);
    this.prefix = prefix;
    const mqtt = loadOptionalPackage('mqtt', MQTT_BRIDGE_USE) as { connect: typeof connect };
    this.client = mqtt.connect(url, {
      protocolVersion: 5,
      clientId: `switchboard-${this.id}`,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
      queueQoSZero: false,
    });
    const where = `${new URL(url).host} (${prefix}/#)`;
    this.client.on('connect', () => {
      this.client.subscribe(`${prefix}/#`, { qos: 0, nl: true }, (error) => {
        if (error) {
          report(`MQTT bridge: the broker refused the subscription to ${prefix}/#: ${error.message}`);
          return;
        }
        this.subscribed = true;
        report(`MQTT bridge: connected to ${where}`);
      });
    });
    this.client.on('offline', () => {
      if (this.subscribed) report(`MQTT bridge: lost ${where}, reconnecting`);
      this.subscribed = false;
    });
    // mqtt.js reconnects by itself; an error here is one failed attempt, reported once per outage.
    this.client.on('error', (error) => {
      if (this.subscribed || this.client.reconnecting) return;
      report(`MQTT bridge: cannot reach ${where}: ${error.message}`);
    });
    this.client.on('message', (topic, payload, packet) => this.fromBroker(hub, topic, payload, packet));
    this.stopListening = hub.listen(({ topic, payload, origin }) => {
      if (origin === 'mqtt' || !this.client.connected) return;
      this.client.publish(`${prefix}/${topic}`, JSON.stringify(payload), {
        qos: 0,
        properties: { userProperties: { [BRIDGE_MARK]: this.id } },
      });
    });
  }

  /** Whether the bridge is connected and subscribed, so that broker messages reach the hub. */
  get connected(): boolean {
    return this.subscribed;
  }

  /** Disconnects from the broker. */
  async close(): Promise<void> {
    this.stopListening();
    await this.client.endAsync();
  }

  private fromBroker(hub: TopicHub, brokerTopic: string, payload: Buffer, packet: IPublishPacket): void {
    if (packet.properties?.userProperties?.[BRIDGE_MARK] === this.id) return;
    if (payload.byteLength > MAX_MESSAGE_BYTES) return;
    const topic = brokerTopic.slice(this.prefix.length + 1);
    // `<prefix>/#` also matches `<prefix>` itself, which has no hub topic.
    if (!brokerTopic.startsWith(`${this.prefix}/`) || topicNameProblem(topic) !== undefined) return;
    hub.publish({ topic, payload: payloadFromBytes(payload), origin: 'mqtt' });
  }
}
