import { checkOptionNames } from '../../../engine/options.js';
import { checkInteger } from '../../../protocol/index.js';
import type { DemoApp, DemoAppContext } from '../demo-app.js';
import { serveDashboards } from './dashboards.js';
import { DeviceEndpoint, type DeviceCredentials } from './device-endpoint.js';
import { checkMqttOptions, MqttBridge, type BridgeReport, type MqttBridgeOptions } from './mqtt-bridge.js';
import { TopicHub } from './topic-hub.js';

/** Options of {@link createSensorHub}. */
export interface SensorHubOptions {
  /**
   * The credentials devices connect with (`ws://user:password@host/devices`). The default is for
   * the demo on this machine only: give others before the hub is reachable from a network.
   * @default { user: 'sensor', password: 'hub-demo' }
   */
  readonly deviceCredentials?: DeviceCredentials;
  /** Device connections open at once; one more gets 503. @default 64 */
  readonly maxDeviceConnections?: number;
  /** Device names one connection may publish for. @default 32 */
  readonly maxDevicesPerConnection?: number;
  /** Topics whose last value is kept for pages that subscribe later. @default 1000 */
  readonly maxRetainedTopics?: number;
  /** Patterns one page may be subscribed to at once. @default 16 */
  readonly maxSubscriptionsPerSocket?: number;
  /** Bridge the hub's topics to an MQTT broker, both ways. @default undefined (no bridge) */
  readonly mqtt?: MqttBridgeOptions;
  /** Where the hub reports what an operator should know (the MQTT bridge's connection). @default nothing */
  readonly report?: BridgeReport;
}

/** The credentials devices use unless told otherwise; documented in the app's README. */
export const DEMO_DEVICE_CREDENTIALS: DeviceCredentials = { user: 'sensor', password: 'hub-demo' };

/** The bare-WebSocket path devices connect to. */
export const DEVICES_PATH = '/devices';

/** The realtime namespace of the dashboards. */
export const SENSORS_NAMESPACE = '/sensors';

const DEFAULTS = {
  maxDeviceConnections: 64,
  maxDevicesPerConnection: 32,
  maxRetainedTopics: 1000,
  maxSubscriptionsPerSocket: 16,
} as const;

const OPTION_NAMES: ReadonlySet<string> = new Set([...Object.keys(DEFAULTS), 'deviceCredentials', 'mqtt', 'report']);

/** A running sensor hub: the demo app, plus what tests and operators look at. */
export interface SensorHub extends DemoApp {
  /** The hub's topics and retained values. */
  readonly hub: TopicHub;
  /** The device side. */
  readonly devices: DeviceEndpoint;
  /** The MQTT bridge, when one was asked for. */
  readonly bridge: MqttBridge | undefined;
}

function checkCredentials(credentials: DeviceCredentials): DeviceCredentials {
  const { user, password } = credentials;
  // RFC 7617 §2: the user id cannot contain a colon, since the first one ends it.
  if (typeof user !== 'string' || user === '' || user.includes(':'))
    throw new TypeError('deviceCredentials.user must be a non-empty string without ":"');
  if (typeof password !== 'string' || password === '')
    throw new TypeError('deviceCredentials.password must be a non-empty string');
  return { user, password };
}

/**
 * The sensor hub demo (`/sensors/`): devices publish readings over a bare WebSocket at
 * {@link DEVICES_PATH}, dashboards subscribe to topic patterns and switch relays through the
 * realtime namespace {@link SENSORS_NAMESPACE}, and an optional bridge joins an MQTT broker.
 *
 * @example
 * const app = createSensorHub({ io, shutdownTimeout: 2000 }, { mqtt: { url: 'mqtt://127.0.0.1:1883' } });
 */
export function createSensorHub(context: DemoAppContext, options: SensorHubOptions = {}): SensorHub {
  checkOptionNames(options, OPTION_NAMES, 'sensor hub');
  const limits = { ...DEFAULTS, ...options };
  for (const name of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) checkInteger(name, limits[name], 1);
  const credentials = checkCredentials(options.deviceCredentials ?? DEMO_DEVICE_CREDENTIALS);
  if (options.mqtt !== undefined) checkMqttOptions(options.mqtt);

  const hub = new TopicHub(limits.maxRetainedTopics);
  const devices = new DeviceEndpoint(hub, {
    credentials,
    maxConnections: limits.maxDeviceConnections,
    maxDevicesPerConnection: limits.maxDevicesPerConnection,
    closeTimeout: context.shutdownTimeout,
  });
  const namespace = context.io.of(SENSORS_NAMESPACE);
  const stopDashboards = serveDashboards(namespace, hub, {
    maxSubscriptionsPerSocket: limits.maxSubscriptionsPerSocket,
    deviceOnline: (device) => devices.isOnline(device),
  });
  const bridge =
    options.mqtt === undefined ? undefined : new MqttBridge(hub, options.mqtt, options.report ?? (() => undefined));

  return {
    name: 'sensors',
    upgradePath: DEVICES_PATH,
    hub,
    devices,
    bridge,
    handleUpgrade: (request, socket, head) => devices.handleUpgrade(request, socket, head),
    async close() {
      stopDashboards();
      await Promise.all([devices.close(), bridge?.close()]);
    },
  };
}
