import { stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { WebSocketOptions } from '../../ws/index.js';
import { ExitCode, UsageError, type Command, type TextSink } from '../command.js';
import {
  DEFAULT_SOCKET_IO_PATH,
  TARGET_OPTIONS,
  connectFailure,
  engineUrl,
  namespaceOf,
  parseTarget,
  shownUrl,
} from '../connect/target.js';
import { INSECURE_WARNING } from '../connect/tls-options.js';
import { htmlReport } from '../load/html-report.js';
import { SocketIoLoadClient, WebSocketLoadClient, type LoadClient, type LoadListener } from '../load/load-clients.js';
import {
  MAX_CONNECTIONS,
  parseConnections,
  parsePattern,
  parseRate,
  parseRunDuration,
  parseSize,
} from '../load/options.js';
import type { LoadPlan } from '../load/plan.js';
import { buildReport } from '../load/report.js';
import { runLoad } from '../load/run-load.js';
import { describePlan, formatReport, progressLine } from '../load/terminal-report.js';

const DEFAULTS = { connections: '10', rate: '10', size: '64', duration: '10s', timeout: '10s' } as const;

function isTerminal(sink: TextSink): boolean {
  return 'isTTY' in sink && sink.isTTY === true;
}

/** Checks before the run that the report can be written where asked, so a long run is not lost to a typo. */
async function reportPath(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  const path = resolve(file);
  const directory = await stat(dirname(path)).catch(() => undefined);
  if (!directory?.isDirectory()) throw new UsageError(`--report: the directory of "${file}" does not exist`);
  return path;
}

/** `switchboard load`: a bounded load run against a WebSocket or Socket.IO server, with a latency report. */
export const loadCommand: Command = {
  name: 'load',
  summary: 'Load a WebSocket or Socket.IO server and report its latency',
  help: `Usage: switchboard load <url> [options]

Opens connections to <url>, sends messages at a set rate for a set time, and times each reply
from the send time the message carries (a marker, then padding up to --size). Prints a live
progress line on stderr, then the counts, the latency percentiles and histogram, and this
process's own CPU use: near a full core the generator, not the server, is the limit.

Patterns (what the server must do with each message):
  echo        send it back to its sender (bare WebSocket: the same message; Socket.IO: emit
              the event back with its argument, or answer the ack with --ack)
  broadcast   send it to every connection (every delivery is timed)
For Socket.IO the generator emits "echo" or "broadcast" (see --event) with one string argument:
  socket.on('echo', (data) => socket.emit('echo', data));
  socket.on('broadcast', (data) => io.emit('broadcast', data));

Options:
  -c, --connections <n>   Connections to open (default ${DEFAULTS.connections}, at most ${MAX_CONNECTIONS})
  --ramp <n>              Open <n> connections per second (default: all at once)
  -r, --rate <n>          Messages per second per connection (default ${DEFAULTS.rate}; fractions allowed)
  --total-rate <n>        Messages per second in all, spread over the open connections
                          (instead of --rate)
  --size <bytes>          Message size (default ${DEFAULTS.size}; k and m suffixes; at least 18)
  -d, --duration <time>   How long to send (default ${DEFAULTS.duration}, at most 1h; 500ms, 30s, 2m; a bare
                          number is seconds). Then replies get up to 2 s, connections 2 s to close
  --pattern <name>        echo or broadcast (default echo)
  --sio                   Speak Socket.IO (Engine.IO v4 over WebSocket); the URL's path is the namespace
  --path <path>           Socket.IO server path (default ${DEFAULT_SOCKET_IO_PATH}; --sio only)
  --event <name>          Socket.IO event to emit (default: the pattern's name; --sio only)
  --ack                   Ask for an acknowledgement with each event and time it (--sio, echo)
  -H, --header <"Name: value">  Add a request header to every handshake; repeatable
  --auth <user:password>  HTTP Basic authentication
  -s, --subprotocol <name>      Offer a subprotocol; repeatable (bare WebSocket only)
  --ca <file>             Trust the certificate(s) in this PEM file (a self-signed wss:// server)
  --insecure              Accept a wss:// server whose certificate does not verify
                          (a warning is printed: prefer --ca)
  --timeout <time>        Bound on each connection's opening (default ${DEFAULTS.timeout})
  --json                  Print the results as JSON on stdout instead of the summary
  --report <file.html>    Also write an HTML report with plots of rate and latency over time
                          (one self-contained file: inline SVG, no scripts)
  -h, --help              Show this help

Exit status: 0 when the run had no error; 1 when a connection failed or was closed early, or the
server could not be reached; 2 for a wrong command line. Ctrl+C stops early and still reports.

Examples:
  switchboard load ws://localhost:8080/echo -c 100 --rate 50 -d 30s
  switchboard load ws://localhost:8080/ --pattern broadcast -c 500 --ramp 100 --total-rate 20
  switchboard load http://localhost:3000 --sio --ack -c 200 --rate 20 --json > result.json
  switchboard load ws://localhost:8080/ -c 50 --report load.html
`,
  async run(args, { stdout, stderr, signal }) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: {
        connections: { type: 'string', short: 'c', default: DEFAULTS.connections },
        ramp: { type: 'string' },
        rate: { type: 'string', short: 'r' },
        'total-rate': { type: 'string' },
        size: { type: 'string', default: DEFAULTS.size },
        duration: { type: 'string', short: 'd', default: DEFAULTS.duration },
        pattern: { type: 'string', default: 'echo' },
        ...TARGET_OPTIONS,
        event: { type: 'string' },
        ack: { type: 'boolean', default: false },
        timeout: { type: 'string', default: DEFAULTS.timeout },
        json: { type: 'boolean', default: false },
        report: { type: 'string' },
      },
      strict: true,
      allowPositionals: true,
    });
    const target = parseTarget('load', positionals, values);
    if (values.insecure) stderr.write(`switchboard load: ${INSECURE_WARNING}\n`);
    const { url, timeoutMs } = target;
    const pattern = parsePattern(values.pattern);
    if (values.rate !== undefined && values['total-rate'] !== undefined) {
      throw new UsageError('give --rate (per connection) or --total-rate (in all), not both');
    }
    if (!values.sio) {
      for (const option of ['event', 'ack'] as const) {
        if (values[option] !== undefined && values[option] !== false) throw new UsageError(`--${option} needs --sio`);
      }
    }
    if (values.ack && pattern === 'broadcast') throw new UsageError('--ack times the echo pattern only');
    if (values.event === '') throw new UsageError('--event must not be empty');
    const plan: LoadPlan = {
      url,
      protocol: values.sio ? 'socket.io' : 'websocket',
      pattern,
      connections: parseConnections(values.connections),
      rampPerSecond: values.ramp === undefined ? 0 : parseRate('--ramp', values.ramp),
      rate:
        values['total-rate'] === undefined
          ? { perConnection: parseRate('--rate', values.rate ?? DEFAULTS.rate) }
          : { total: parseRate('--total-rate', values['total-rate']) },
      size: parseSize(values.size),
      durationMs: parseRunDuration(values.duration),
      timeoutMs,
      event: values.event ?? pattern,
      ack: values.ack,
    };
    const report = await reportPath(values.report);
    // Compression would measure zlib, on both sides, more than messaging.
    const options: WebSocketOptions = { ...target.socketOptions, perMessageDeflate: false };
    const sioTarget = {
      url: engineUrl(url, target.enginePath),
      namespace: namespaceOf(url),
      event: plan.event,
      ack: plan.ack,
    };
    const open = (listener: LoadListener): Promise<LoadClient> =>
      plan.protocol === 'websocket'
        ? WebSocketLoadClient.open(url, values.subprotocol, options, listener)
        : SocketIoLoadClient.open(sioTarget, options, timeoutMs, listener);

    const shown = shownUrl(url);
    stderr.write(describePlan(plan, shown));
    const live = isTerminal(stderr);
    const outcome = await runLoad({
      plan,
      open,
      signal,
      describe: connectFailure,
      onSecond: (point, stats) =>
        stderr.write(live ? `\r\x1b[K${progressLine(point, stats, plan)}` : `${progressLine(point, stats, plan)}\n`),
    });
    if (live) stderr.write('\n');
    if (outcome.kind === 'unreachable') {
      stderr.write(`switchboard load: cannot connect to ${shown}: ${outcome.reason}\n`);
      return ExitCode.Failure;
    }
    const result = buildReport(plan, outcome, shown);
    stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatReport(result));
    if (report !== undefined) {
      await writeFile(report, htmlReport(result, new Date()));
      stderr.write(`Report written to ${report}\n`);
    }
    return result.errors.count === 0 ? ExitCode.Ok : ExitCode.Failure;
  },
};
