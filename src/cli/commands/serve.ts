import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HTTP_SERVER_LIMITS } from '../../engine/index.js';
import { ExitCode, UsageError, type Command } from '../command.js';
import { DEFAULT_JOIN_TIMEOUT } from '../chat/chat-room.js';
import { DEVICES_PATH } from '../apps/sensors/sensor-hub.js';
import { MQTT_BRIDGE_USE } from '../apps/sensors/mqtt-bridge.js';
import { loadOptionalPackage, MissingPackageError } from '../optional-package.js';
import { CHAT_PATH, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, isWildcard, startDemoServer } from '../demo-server.js';
import { sensorHubOptions } from '../apps/sensors/serve-options.js';
import { readCertificate, readOptionFile, readPrivateKey } from '../connect/tls-options.js';
import { joinRedisCluster, parseRedisUrl, RedisUnreachableError, type RedisClusterNode } from '../redis-cluster.js';

const DEFAULT_PORT = 8080;
const DEFAULT_HOST = '127.0.0.1';

/** Parses a TCP port: a whole number from 0 (any free port) to 65535. */
export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535)
    throw new UsageError(`--port must be a whole number from 0 to 65535, got "${text}"`);
  return Number(text);
}

function seconds(milliseconds: number): string {
  return `${milliseconds / 1000} s`;
}

/** Parses a count such as `--connections-per-address 4`: a whole number from 1. */
export function parseCount(option: string, text: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1)
    throw new UsageError(`${option} must be a whole number from 1, got "${text}"`);
  return Number(text);
}

function listenFailure(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return 'the port is in use';
    case 'EACCES':
      return 'permission denied (ports below 1024 need privileges)';
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return 'no such address on this machine';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** Parses an origin such as `https://app.example.com`; a path, query or credentials make it something else. */
export function parseOrigin(text: string): string {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  const bare =
    url !== undefined &&
    /^https?:$/.test(url.protocol) &&
    url.pathname === '/' &&
    url.search === '' &&
    url.hash === '' &&
    url.username === '' &&
    url.password === '';
  if (!bare || /[?#]/.test(text))
    throw new UsageError(`--allow-origin must be an origin like https://app.example.com, got "${text}"`);
  return url.origin;
}

/** Parses a host name such as `chat.example.com`: no scheme, port or path. */
export function parseHostName(text: string): string {
  const url = URL.canParse(`http://${text}`) ? new URL(`http://${text}`) : undefined;
  if (url?.host !== text.toLowerCase() || url.port !== '') {
    throw new UsageError(`--allow-host must be a host name like chat.example.com, got "${text}"`);
  }
  return url.hostname;
}

async function checkDirectory(path: string): Promise<string> {
  const absolute = resolve(path);
  const stats = await stat(absolute).catch(() => undefined);
  if (!stats?.isDirectory()) throw new UsageError(`--static must name a directory, "${path}" is not one`);
  return absolute;
}

/**
 * Reads `--cert` and `--key` (both or neither) for HTTPS: PEM files, the key the certificate's.
 *
 * @throws UsageError naming the option whose file is missing, unreadable or wrong.
 */
export function readServerTls(
  certPath: string | undefined,
  keyPath: string | undefined,
): { key: Buffer; cert: Buffer } | undefined {
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (certPath === undefined) throw new UsageError('--key needs --cert: the certificate that goes with the key');
  if (keyPath === undefined) throw new UsageError("--cert needs --key: the certificate's private key");
  const cert = readOptionFile('--cert', certPath);
  const certificate = readCertificate('--cert', certPath, cert);
  const key = readOptionFile('--key', keyPath);
  // Node would take a mismatched pair and fail every handshake with an unhelpful alert.
  if (!certificate.checkPrivateKey(readPrivateKey('--key', keyPath, key))) {
    throw new UsageError(`--key "${keyPath}" is not the private key of the certificate in --cert "${certPath}"`);
  }
  return { key, cert };
}

/** `switchboard serve`: the demo apps, their pages and endpoints on one port, until SIGINT or SIGTERM. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve the demo apps: rooms chat, jukebox, sensor hub, and the bare WebSocket chat',
  help: `Usage: switchboard serve [options]

Serves the demo apps on one port and prints the URL to open: the rooms chat (/rooms/), the
jukebox (/jukebox/) and the sensor hub's dashboard (/sensors/) over the realtime server at
/socket.io (our client's bundle at /socket.io/socket.io.js), sensor hub devices over WebSocket
at ${DEVICES_PATH}, and the bare WebSocket chat (/chat/, endpoint ${CHAT_PATH}). Stops cleanly on Ctrl+C
(SIGINT) or SIGTERM: every WebSocket is closed with 1001 (Going Away) and requests in flight finish.

Options:
  -p, --port <port>    TCP port; 0 picks a free one and prints it (default ${DEFAULT_PORT})
  -H, --host <address> Address to listen on (default ${DEFAULT_HOST}, this machine only;
                       use 0.0.0.0 or :: to accept connections from the network)
  -s, --static <dir>   Also serve the files in <dir>, looked up before the demo pages;
                       repeat to add more directories
  --allow-origin <url> Let pages from this origin open the chat WebSocket too (pages
                       from other sites are refused with 403); repeatable
  --allow-host <name>  Answer requests that reach the server by this host name; besides
                       IP addresses and localhost, other names get 403 (a defence against
                       DNS rebinding); repeatable
  --connections-per-address <n>
                       Chat WebSockets and realtime sessions one client address may
                       hold, open or opening (default ${DEFAULT_MAX_CONNECTIONS_PER_ADDRESS}); more are refused
  --trust-proxy        Take the client address from the last X-Forwarded-For entry, as
                       the reverse proxy in front wrote it. Use it only when clients can
                       reach the server through that proxy alone; without it, behind a
                       proxy, every client counts as the proxy's address
  --device-credentials <user:password>
                       What sensor hub devices must send (default sensor:hub-demo)
  --mqtt <url>         Bridge the sensor hub to an MQTT broker, both ways
                       (e.g. mqtt://127.0.0.1:1883)
  --mqtt-prefix <topic>
                       The broker topic the hub's topics live under (default switchboard)
  --redis <url>        Run as one node of a cluster sharing this Redis (e.g.
                       redis://127.0.0.1:6379): broadcasts reach the clients of every
                       node, a client that drops recovers its session on any node, and
                       long-polling needs no sticky sessions. The apps' own state (room
                       history, the jukebox, retained sensor values) stays per node
  --cert <file>        Serve HTTPS and wss:// instead, with the certificate (chain) in this
                       PEM file; needs --key
  --key <file>         The certificate's private key, PEM, unencrypted
  -h, --help           Show this help

A chat connection that has not joined within ${seconds(DEFAULT_JOIN_TIMEOUT)} is closed with 1008 (Policy
Violation). A request head must arrive within ${seconds(HTTP_SERVER_LIMITS.headersTimeout)}, and the whole request within
${seconds(HTTP_SERVER_LIMITS.requestTimeout)}, or the client gets 408 Request Timeout and is disconnected.

Examples:
  switchboard serve --port 3000 --static ./public
  switchboard serve --port 3001 --redis redis://127.0.0.1:6379
  switchboard serve --port 8443 --cert cert.pem --key key.pem
`,
  async run(args, { stdout, stderr, signal }) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        port: { type: 'string', short: 'p', default: String(DEFAULT_PORT) },
        host: { type: 'string', short: 'H', default: DEFAULT_HOST },
        static: { type: 'string', short: 's', multiple: true, default: [] },
        'allow-origin': { type: 'string', multiple: true, default: [] },
        'allow-host': { type: 'string', multiple: true, default: [] },
        'connections-per-address': { type: 'string', default: String(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS) },
        'trust-proxy': { type: 'boolean', default: false },
        'device-credentials': { type: 'string' },
        mqtt: { type: 'string' },
        'mqtt-prefix': { type: 'string' },
        redis: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    const port = parsePort(values.port);
    if (values.host.trim() === '') throw new UsageError('--host must not be empty');
    const staticDirectories = await Promise.all(values.static.map(checkDirectory));
    const allowedOrigins = values['allow-origin'].map(parseOrigin);
    const allowedHosts = values['allow-host'].map(parseHostName);
    const maxConnectionsPerAddress = parseCount('--connections-per-address', values['connections-per-address']);
    const redisUrl = values.redis === undefined ? undefined : parseRedisUrl(values.redis);
    const tls = readServerTls(values.cert, values.key);

    let cluster: RedisClusterNode | undefined;
    try {
      // Before anything listens: an option whose package is not installed ends the command at once.
      if (values.mqtt !== undefined) loadOptionalPackage('mqtt', MQTT_BRIDGE_USE);
      if (redisUrl !== undefined) cluster = await joinRedisCluster(redisUrl, (line) => stderr.write(`${line}\n`));
    } catch (error) {
      if (!(error instanceof RedisUnreachableError || error instanceof MissingPackageError)) throw error;
      stderr.write(`switchboard serve: ${error.message}\n`);
      return ExitCode.Failure;
    }

    const server = await startDemoServer({
      port,
      host: values.host,
      staticDirectories,
      allowedOrigins,
      allowedHosts,
      maxConnectionsPerAddress,
      trustProxy: values['trust-proxy'],
      ...(tls === undefined ? {} : { tls }),
      apps: { sensors: sensorHubOptions(values, (line) => stdout.write(`${line}\n`)) },
      ...(cluster === undefined ? {} : { cluster: cluster.realtime }),
    }).catch((error: unknown) => {
      stderr.write(`switchboard serve: cannot listen on ${values.host} port ${port}: ${listenFailure(error)}\n`);
      return undefined;
    });
    if (server === undefined) {
      cluster?.close();
      return ExitCode.Failure;
    }
    const chatUrl = new URL('chat/', server.url);
    const socketUrl = new URL(CHAT_PATH, server.url.replace(/^http/, 'ws'));
    stdout.write(
      `Switchboard listening on ${server.url}${isWildcard(server.address.address) ? ' (all interfaces)' : ''}\n` +
        `  rooms      ${new URL('rooms/', server.url).href}\n` +
        `  jukebox    ${new URL('jukebox/', server.url).href}\n` +
        `  sensors    ${new URL('sensors/', server.url).href}  (devices ${new URL(DEVICES_PATH, socketUrl).href})\n` +
        `  chat demo  ${chatUrl.href}  (WebSocket ${socketUrl.href})\n` +
        (staticDirectories.length > 0 ? `  serving    ${staticDirectories.join(', ')}\n` : '') +
        (cluster === undefined ? '' : `  cluster    a node of the cluster on Redis at ${cluster.shownUrl}\n`) +
        'Press Ctrl+C to stop.\n',
    );

    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    stdout.write('Shutting down…\n');
    await server.close();
    cluster?.close();
    stdout.write('Stopped.\n');
    return ExitCode.Ok;
  },
};
