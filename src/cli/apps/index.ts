import { checkOptionNames } from '../../engine/options.js';
import type { DemoApp, DemoAppContext } from './demo-app.js';
import { createJukeboxApp, type JukeboxOptions } from './jukebox/jukebox-app.js';
import { createRoomsApp, type RoomsOptions } from './rooms/rooms-app.js';
import { createSensorHub, type SensorHubOptions } from './sensors/sensor-hub.js';

export type { DemoApp, DemoAppContext } from './demo-app.js';

/** Options of the demo apps, one entry per app. */
export interface DemoAppsOptions {
  /** The Rooms chat (`/rooms/`). @default {} */
  readonly rooms?: RoomsOptions;
  /** The Jukebox (`/jukebox/`). @default {} */
  readonly jukebox?: JukeboxOptions;
  /** The Sensor hub (`/sensors/`, devices at `/devices`). @default {} */
  readonly sensors?: SensorHubOptions;
  // ── more apps: their options here ──
}

// ── more apps: their names here too ──
const APP_NAMES: ReadonlySet<string> = new Set(['rooms', 'jukebox', 'sensors']);

/**
 * Creates every demo app of `switchboard serve` on the shared realtime server, in the order the
 * index page lists them. The demo server closes them, then the realtime server, on shutdown.
 */
export function createDemoApps(context: DemoAppContext, options: DemoAppsOptions = {}): DemoApp[] {
  checkOptionNames(options, APP_NAMES, 'demo app');
  const factories: (() => DemoApp)[] = [
    () => createRoomsApp(context, options.rooms),
    () => createJukeboxApp(context, options.jukebox),
    () => createSensorHub(context, options.sensors),
    // ── more apps: one line each ──
  ];
  const apps: DemoApp[] = [];
  try {
    for (const create of factories) apps.push(create());
  } catch (error) {
    // An app refusing its options must not leave the timers of those made before it running.
    for (const app of apps) void app.close();
    throw error;
  }
  return apps;
}
