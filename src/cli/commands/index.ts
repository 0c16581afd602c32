import type { Command } from '../command.js';
import { connectCommand } from './connect.js';
import { loadCommand } from './load.js';
import { sensorSimCommand } from './sensor-sim.js';
import { serveCommand } from './serve.js';
import { versionCommand } from './version.js';

/** Every `switchboard` subcommand, in the order `--help` lists them. A new command is one file and one line here. */
export const commands: readonly Command[] = [
  serveCommand,
  connectCommand,
  loadCommand,
  sensorSimCommand,
  versionCommand,
];
