import { parseArgs } from 'node:util';
import { ExitCode, UsageError, type Command } from '../command.js';
import type { Endpoint } from '../connect/endpoint.js';
import { formatDuration } from '../connect/duration.js';
import { runInteractive } from '../connect/interactive.js';
import { loadScript, runScript } from '../connect/script.js';
import { SocketIoEndpoint } from '../connect/socket-io-endpoint.js';
import type { Mode } from '../connect/steps.js';
import {
  DEFAULT_SOCKET_IO_PATH,
  TARGET_OPTIONS,
  connectFailure,
  namespaceOf,
  parseTarget,
  shownUrl,
} from '../connect/target.js';
import { INSECURE_WARNING } from '../connect/tls-options.js';
import { Transcript } from '../connect/transcript.js';
import { WebSocketEndpoint } from '../connect/websocket-endpoint.js';
import type { WebSocketOptions } from '../../ws/index.js';

const DEFAULT_TIMEOUT = '5s';

function parseSioAuth(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`--sio-auth takes a JSON object such as {"token":"abc"}, got "${text}"`);
  }
  return value as Record<string, unknown>;
}

/** `switchboard connect`: an interactive or scripted client for a WebSocket or Socket.IO server. */
export const connectCommand: Command = {
  name: 'connect',
  summary: 'Talk to a WebSocket or Socket.IO server from the terminal',
  help: `Usage: switchboard connect <url> [options]

Opens a WebSocket to <url> (ws://, wss://, http:// or https://; host:port/path means ws://),
then sends each line you type as a text message and prints what arrives, each line with its
time: "<" received, ">" sent, "*" what happened to the connection. Binary messages show as
their length and first bytes in hex. With --sio it speaks Socket.IO instead: the URL's path is
the namespace, "emit <event> [json args]" emits an event and acknowledgements are shown.

At the prompt (type /help for the list):
  <text>                    send a text message (bare WebSocket)
  emit <event> [json args]  emit an event, asking for an ack (--sio); a word that is not JSON
                            is sent as a string
  ack <id> [json args]      answer an event the server sent with an ack id (--sio)
  /ping [data], /pong [data], /close [code] [reason]

Options:
  -H, --header <"Name: value">  Add a request header; repeatable
  --auth <user:password>        HTTP Basic authentication (user:password@ in the URL does the same)
  -s, --subprotocol <name>      Offer a subprotocol; repeatable (bare WebSocket only)
  -o, --origin <origin>         Send this Origin header, as a browser would
  --ca <file>                   Trust the certificate(s) in this PEM file (a self-signed wss:// server)
  --insecure                    Accept a wss:// server whose certificate does not verify
                                (a warning is printed: prefer --ca)
  --sio                         Speak Socket.IO (Engine.IO v4 over WebSocket) instead
  --path <path>                 Socket.IO server path (default ${DEFAULT_SOCKET_IO_PATH}; --sio only)
  --sio-auth <json>             The CONNECT packet's auth object, as socket.io-client's
                                "auth" option (--sio only)
  -x, --execute <command>       Run this command instead of reading input; repeat for a
                                script, one command per option
  --script <file>               Run the commands in <file>, one per line (# comments)
  --timeout <time>              Bound on the handshake, on each expect that names none, and on
                                the close (default ${DEFAULT_TIMEOUT}; 500ms, 2s, 1m; a bare number is seconds)
  -h, --help                    Show this help

Script commands (--execute, --script):
  send <text>               send a text message (bare WebSocket)
  emit <event> [json args]  emit an event (--sio)
  ack <id> [json args]      answer an event (--sio)
  ping [data], pong [data]  control frames (bare WebSocket)
  wait <time>               pause, printing what arrives (a bare number is milliseconds)
  expect <regex> [time]     wait until something that arrives matches; /regex with spaces/flags
                            between slashes. Arrivals since the last match count
  print <text>              print a line
  close [code] [reason]     close the connection (the script closes it at its end otherwise)

Exit status: 0 when the connection closed cleanly (and, with a script, every expect matched);
1 when the server could not be reached, refused, the connection was lost or an expect failed;
2 for a wrong command line or script.

Examples:
  switchboard connect ws://localhost:8080/chat
  switchboard connect wss://example.com/feed -H "Authorization: Bearer abc" -s v1.feed
  switchboard connect http://localhost:3000/admin --sio --sio-auth '{"token":"abc"}'
  switchboard connect ws://localhost:8080 -x "send hello" -x "expect hello 2s"
  switchboard connect localhost:3000 --sio -x 'emit ping {"n":1}' -x 'expect /^ack 0/ 2s'
`,
  async run(args, { stdout, stderr, signal }) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: {
        ...TARGET_OPTIONS,
        origin: { type: 'string', short: 'o' },
        'sio-auth': { type: 'string' },
        execute: { type: 'string', short: 'x', multiple: true, default: [] },
        script: { type: 'string' },
        timeout: { type: 'string', default: DEFAULT_TIMEOUT },
      },
      strict: true,
      allowPositionals: true,
    });
    const target = parseTarget('connect', positionals, values);
    if (values.insecure) stderr.write(`switchboard connect: ${INSECURE_WARNING}\n`);
    const { url, timeoutMs } = target;
    const mode: Mode = values.sio ? 'socket.io' : 'websocket';
    if (!values.sio && values['sio-auth'] !== undefined) throw new UsageError('--sio-auth needs --sio');
    const sioAuth = parseSioAuth(values['sio-auth']);
    const scripted = values.execute.length > 0 || values.script !== undefined;
    const steps = scripted ? await loadScript(values.execute, values.script, mode, timeoutMs) : undefined;

    const socketOptions: WebSocketOptions = {
      ...target.socketOptions,
      closeTimeout: timeoutMs,
      ...(values.origin === undefined ? {} : { origin: values.origin }),
    };
    let endpoint: Endpoint;
    try {
      endpoint =
        mode === 'websocket'
          ? await WebSocketEndpoint.open(url, values.subprotocol, socketOptions)
          : await SocketIoEndpoint.open({
              url,
              path: target.enginePath,
              namespace: namespaceOf(url),
              auth: sioAuth,
              socketOptions,
              timeoutMs,
            });
    } catch (error) {
      const reason = error instanceof Error ? connectFailure(error) : String(error);
      stderr.write(`switchboard connect: cannot connect to ${shownUrl(url)}: ${reason}\n`);
      return ExitCode.Failure;
    }
    const transcript = new Transcript(stdout);
    const details = endpoint.description;
    transcript.note(`connected to ${shownUrl(url)}${details === '' ? '' : ` (${details})`}`);
    if (steps !== undefined) return runScript(steps, { endpoint, transcript, stdout, stderr, signal });
    const tty = process.stdin.isTTY && process.stdout.isTTY;
    if (tty)
      stdout.write(`Type /help for the commands; /close or Ctrl+C closes (within ${formatDuration(timeoutMs)}).\n`);
    return runInteractive(endpoint, mode, {
      input: process.stdin,
      stdout,
      stderr,
      prompt: tty ? process.stdout : undefined,
      signal,
    });
  },
};
