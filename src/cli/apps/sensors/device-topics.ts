/**
 * Where devices show in the topic space: readings under `sensors/<device>/<quantity>`, relay states
 * under `relays/<device>/<relay>`, and the commands that switch a relay at `relays/<device>/<relay>/set`.
 */

/** The pattern of relay commands, the only topics pages may publish to. */
export const RELAY_COMMAND_PATTERN = 'relays/+/+/set';

/** The longest device name the hub tracks (the second level of its topics). */
export const MAX_DEVICE_NAME_LENGTH = 64;

/** The device a relay command is for (`relays/<device>/<relay>/set`), or `undefined` for any other topic. */
export function commandDevice(topic: string): string | undefined {
  const levels = topic.split('/');
  return levels.length === 4 && levels[0] === 'relays' && levels[3] === 'set' ? deviceName(levels[1]) : undefined;
}

/**
 * The device a reading or a relay state comes from (`sensors/<device>/…`, `relays/<device>/…`),
 * or `undefined` for other topics and for commands, which are addressed to a device, not sent by it.
 */
export function sourceDevice(topic: string): string | undefined {
  const levels = topic.split('/');
  if (levels.length < 3 || (levels[0] !== 'sensors' && levels[0] !== 'relays')) return undefined;
  return commandDevice(topic) === undefined ? deviceName(levels[1]) : undefined;
}

/** Whether a topic is a command, which the hub delivers but does not retain. */
export function isCommand(topic: string): boolean {
  return topic.endsWith('/set');
}

function deviceName(level: string | undefined): string | undefined {
  return level !== undefined && level !== '' && level.length <= MAX_DEVICE_NAME_LENGTH ? level : undefined;
}
