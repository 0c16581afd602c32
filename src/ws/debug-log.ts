import { createDebugLog } from '../diagnostics/debug.js';

/**
 * The `switchboard:ws` diagnostics channel (`DEBUG=switchboard:ws`): refused upgrades, connections
 * opened and closed, protocol errors, client handshake failures. Never per message. Off, it is an
 * empty function; calls whose arguments cost something are guarded with `debug.enabled`.
 */
export const debug = createDebugLog('ws');
