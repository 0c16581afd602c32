import { OFFICIAL_CLIENT, type LoadClient } from '../socketio/client-loads.js';
import { ClientImplId } from './implementations.js';

/**
 * The client named by `id`, as the loads drive it. Ours is imported only when asked for, so a
 * process measuring the official client never loads it.
 */
export async function loadClient(id: string): Promise<LoadClient> {
  switch (id) {
    case ClientImplId.Switchboard: {
      const { io } = await import('../../src/client-node/index.js');
      return { name: 'switchboard/client', connect: (url, options) => io(url, options) };
    }
    case ClientImplId.Official:
      return OFFICIAL_CLIENT;
    default:
      throw new Error(`unknown client ${id}; known: ${Object.values(ClientImplId).join(', ')}`);
  }
}
