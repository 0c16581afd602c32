/**
 * A loopback TCP proxy a test points a client at, and switches from one node to another: the
 * official client keeps its session id and last offset within one Manager, so reconnecting it
 * through this proxy is how it comes back to another node.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { waitFor } from '../helpers/wait.js';

export interface SwitchProxy {
  /** The URL to give the client. */
  readonly url: string;
  /** Sends new connections to `port` from now on. */
  target(port: number): void;
  /** While closed, new connections are dropped at once (the client keeps retrying). */
  setOpen(open: boolean): void;
  /** Cuts every connection going through, as a network failure would. */
  cutAll(): void;
  close(): Promise<void>;
}

/** Starts a proxy to `port` on a free loopback port. */
export async function startSwitchProxy(port: number): Promise<SwitchProxy> {
  let targetPort = port;
  let open = true;
  const live = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    if (!open) {
      inbound.destroy();
      return;
    }
    const outbound = connect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [inbound, outbound]) {
      live.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        live.delete(socket);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  server.listen(0, '127.0.0.1');
  await waitFor(server, 'listening');
  const { port: own } = server.address() as { port: number };
  const cutAll = (): void => {
    for (const socket of live) socket.destroy();
  };
  return {
    url: `http://127.0.0.1:${own}`,
    target(next) {
      targetPort = next;
    },
    setOpen(next) {
      open = next;
    },
    cutAll,
    async close() {
      cutAll();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
