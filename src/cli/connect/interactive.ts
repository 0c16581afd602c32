import { createInterface } from 'node:readline';
import { ExitCode, UsageError, type TextSink } from '../command.js';
import type { Endpoint } from './endpoint.js';
import { parseStep, type Action, type Mode } from './steps.js';
import { Transcript } from './transcript.js';

/** The prompt's `/help`, per mode. */
export function promptHelp(mode: Mode): string {
  const common =
    '  /close           close the connection (also Ctrl+C, or the end of input)\n  /help            this list\n';
  return mode === 'websocket'
    ? `Type a line to send it as a text message, or:\n  /ping [data]     send a ping\n  /pong [data]     send an unsolicited pong\n  /close [code] [reason]\n${common}`
    : `Type:\n  emit <event> [json args]   emit an event, asking for an acknowledgement\n  ack <id> [json args]       answer an event the server sent with an ack id\n${common}`;
}

/** What an interactive session reads from and writes to. */
export interface Terminal {
  readonly input: NodeJS.ReadableStream;
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** The terminal to show a prompt on, kept below what arrives; none when output is not a terminal. */
  readonly prompt: NodeJS.WritableStream | undefined;
  readonly signal: AbortSignal;
}

/** Reads one typed line as an action: `/command ...`, `emit`/`ack` with --sio, any other text a message. */
function parseTyped(line: string, mode: Mode): Action | 'help' {
  const word = /^\/?(\S*)/.exec(line)![1];
  if (line.startsWith('/') && word === 'help') return 'help';
  const command = line.startsWith('/') || (mode === 'socket.io' && (word === 'emit' || word === 'ack'));
  if (!command) {
    if (mode === 'websocket') return { kind: 'send', text: line };
    throw new UsageError('type emit <event> [json args] (or /help)');
  }
  const step = parseStep(line, mode, 0);
  if (step.kind === 'wait' || step.kind === 'expect' || step.kind === 'print') {
    throw new UsageError(`${step.kind} is for scripts (--execute, --script)`);
  }
  return step;
}

/**
 * Runs a session like `wscat`: lines typed (or piped) are sent, what arrives is printed with its
 * time. Ends when the connection closes; the end of input, Ctrl+C or the abort signal close it.
 * Resolves with 0 for a clean close, 1 for a lost connection.
 */
export async function runInteractive(endpoint: Endpoint, mode: Mode, terminal: Terminal): Promise<number> {
  const { stdout, stderr, prompt, signal } = terminal;
  const tty = prompt !== undefined;
  const lines = createInterface({ input: terminal.input, terminal: tty, ...(tty ? { output: prompt } : {}) });
  // On a terminal, what arrives is written above the prompt, which is drawn again below it.
  const out: TextSink = tty
    ? {
        write: (text: string) => {
          stdout.write(`\r\x1b[K${text}`);
          lines.prompt(true);
        },
      }
    : stdout;
  const transcript = new Transcript(out);
  endpoint.listen((incoming) => transcript.incoming(incoming));
  let closing = false;
  const close = (): void => {
    if (closing) return;
    closing = true;
    endpoint.close();
  };
  lines.on('line', (line) => {
    if (line.trim() === '' || closing) return;
    try {
      const action = parseTyped(line, mode);
      if (action === 'help') out.write(promptHelp(mode));
      else {
        if (action.kind === 'close') closing = true;
        transcript.sent(endpoint.perform(action));
      }
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      stderr.write(`${error.message}\n`);
      if (tty) lines.prompt(true);
    }
  });
  lines.on('close', close);
  lines.on('SIGINT', close);
  signal.addEventListener('abort', close, { once: true });
  if (tty) lines.prompt();
  const closed = await endpoint.closed;
  signal.removeEventListener('abort', close);
  closing = true;
  lines.close();
  if (tty) stdout.write('\r\x1b[K');
  new Transcript(stdout).note(closed.description);
  return closed.clean ? ExitCode.Ok : ExitCode.Failure;
}
