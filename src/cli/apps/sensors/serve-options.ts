import { UsageError } from '../../command.js';
import { checkMqttOptions, type MqttBridgeOptions } from './mqtt-bridge.js';
import type { SensorHubOptions } from './sensor-hub.js';

/** The sensor hub's flags of `switchboard serve`, as `parseArgs` gives them. */
export interface SensorHubFlags {
  readonly 'device-credentials'?: string | undefined;
  readonly mqtt?: string | undefined;
  readonly 'mqtt-prefix'?: string | undefined;
}

/**
 * The sensor hub's options from `switchboard serve --device-credentials user:password --mqtt <url>
 * --mqtt-prefix <topic>`; a wrong value is a {@link UsageError} naming its flag.
 */
export function sensorHubOptions(flags: SensorHubFlags, report: (line: string) => void): SensorHubOptions {
  const options: { -readonly [K in keyof SensorHubOptions]: SensorHubOptions[K] } = { report };
  const credentials = flags['device-credentials'];
  if (credentials !== undefined) {
    const colon = credentials.indexOf(':');
    if (colon < 1 || colon === credentials.length - 1)
      throw new UsageError(`--device-credentials takes user:password, got "${credentials}"`);
    options.deviceCredentials = { user: credentials.slice(0, colon), password: credentials.slice(colon + 1) };
  }
  if (flags.mqtt !== undefined) {
    const mqtt: MqttBridgeOptions =
      flags['mqtt-prefix'] === undefined ? { url: flags.mqtt } : { url: flags.mqtt, prefix: flags['mqtt-prefix'] };
    try {
      options.mqtt = checkMqttOptions(mqtt, { url: '--mqtt', prefix: '--mqtt-prefix' });
    } catch (error) {
      throw new UsageError((error as TypeError).message);
    }
  } else if (flags['mqtt-prefix'] !== undefined) {
    throw new UsageError('--mqtt-prefix needs --mqtt <url>');
  }
  return options;
}
