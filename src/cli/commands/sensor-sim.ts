import { parseArgs } from 'node:util';
import { DEMO_DEVICE_CREDENTIALS, DEVICES_PATH } from '../apps/sensors/sensor-hub.js';
import { UsageError, type Command } from '../command.js';
import { parseDuration } from '../connect/duration.js';
import { parseTargetUrl } from '../connect/target.js';
import { INSECURE_WARNING, TLS_CLIENT_OPTIONS, tlsSocketOptionsFor } from '../connect/tls-options.js';
import { runSimulation } from '../sensor-sim/run-simulation.js';

const DEFAULT_URL = `ws://${DEMO_DEVICE_CREDENTIALS.user}:${DEMO_DEVICE_CREDENTIALS.password}@127.0.0.1:8080${DEVICES_PATH}`;
const MAX_DEVICES = 32;
const MAX_RELAYS = 8;
/** Fast enough for a lively chart, slow enough to stay far below the hub's per-connection rate. */
const MIN_INTERVAL = 250;

function parseRange(option: string, text: string, min: number, max: number): number {
  if (!/^\d{1,4}$/.test(text) || Number(text) < min || Number(text) > max)
    throw new UsageError(`${option} must be a whole number from ${min} to ${max}, got "${text}"`);
  return Number(text);
}

function parseName(text: string): string {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(text))
    throw new UsageError(`--name must be 1 to 32 letters, digits, "-" or "_", got "${text}"`);
  return text;
}

/** `switchboard sensor-sim`: simulated devices that feed the sensor hub demo and obey its relay commands. */
export const sensorSimCommand: Command = {
  name: 'sensor-sim',
  summary: 'Simulate sensor devices for the sensor hub demo',
  help: `Usage: switchboard sensor-sim [url] [options]

Connects simulated devices to the sensor hub's device endpoint, one WebSocket each, with the
credentials in the URL (HTTP Basic). Every interval each device publishes its temperature and
humidity as ["sensors/<name>/temperature", 21.4] and ["sensors/<name>/humidity", 47]. It
announces its relays as ["relays/<name>/<n>", false], obeys the commands the hub sends
(["relays/<name>/<n>/set", true]), prints them and publishes the new state.

The URL defaults to ${DEFAULT_URL}, the demo's own
credentials on \`switchboard serve\`'s default port.

Options:
  -n, --devices <n>     How many devices (default 3, at most ${MAX_DEVICES})
  -r, --relays <n>      Relays per device (default 2, 0 to ${MAX_RELAYS})
  -i, --interval <time> Time between readings, such as 500ms or 2s (default 1s, at least ${MIN_INTERVAL}ms)
  -d, --duration <time> Stop after this long, such as 30s or 5m (default: until Ctrl+C)
      --name <prefix>   Device names are <prefix>-1, <prefix>-2, … (default sim)
      --ca <file>       Trust the certificate in this PEM file: for a wss:// hub whose
                        certificate is self-signed (switchboard serve --cert)
      --insecure        Accept a wss:// hub whose certificate does not verify (a warning
                        is printed: prefer --ca)
  -h, --help            Show this help

Exit status: 0 once stopped (Ctrl+C or --duration), 1 if a device cannot connect (refused
credentials, no server) or the hub closes a connection, 2 for a wrong command line.

Examples:
  switchboard sensor-sim ws://sensor:hub-demo@localhost:3000/devices --devices 5 --interval 500ms
  switchboard sensor-sim wss://sensor:hub-demo@localhost:8443/devices --ca cert.pem
`,
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: {
        devices: { type: 'string', short: 'n', default: '3' },
        relays: { type: 'string', short: 'r', default: '2' },
        interval: { type: 'string', short: 'i', default: '1s' },
        duration: { type: 'string', short: 'd' },
        name: { type: 'string', default: 'sim' },
        ...TLS_CLIENT_OPTIONS,
      },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 1) throw new UsageError(`one URL at most, got ${positionals.length}`);
    const url = parseTargetUrl(positionals[0] ?? DEFAULT_URL);
    const tls = tlsSocketOptionsFor(url, values);
    const interval = parseDuration('--interval', values.interval, 'ms');
    if (interval < MIN_INTERVAL)
      throw new UsageError(`--interval must be at least ${MIN_INTERVAL}ms, got "${values.interval}"`);
    const duration = values.duration === undefined ? undefined : parseDuration('--duration', values.duration, 's');
    if (duration === 0) throw new UsageError('--duration must be longer than 0');
    if (values.insecure) context.stderr.write(`switchboard sensor-sim: ${INSECURE_WARNING}\n`);
    return runSimulation(
      {
        url,
        tls,
        devices: parseRange('--devices', values.devices, 1, MAX_DEVICES),
        relays: parseRange('--relays', values.relays, 0, MAX_RELAYS),
        namePrefix: parseName(values.name),
        interval,
        duration,
      },
      context,
    );
  },
};
