import type { TextSink } from '../command.js';
import type { Incoming } from './endpoint.js';

/** `HH:MM:SS.mmm` in local time: what a person reading the transcript compares with their clock. */
export function timestamp(date: Date): string {
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * The lines `connect` prints, each with the time it was written: `<` what arrived, `>` what was
 * sent, `*` what happened to the connection.
 */
export class Transcript {
  constructor(private readonly out: TextSink) {}

  /** A message, event or control frame from the server. */
  incoming({ marker, text }: Incoming): void {
    this.line(marker, text);
  }

  /** What was sent, as the endpoint described it. */
  sent(text: string): void {
    this.line('>', text);
  }

  /** A change of the connection: opened, closed. */
  note(text: string): void {
    this.line('*', text);
  }

  private line(marker: string, text: string): void {
    this.out.write(`${timestamp(new Date())} ${marker} ${text}\n`);
  }
}
