import type { Socket } from './socket.js';

/**
 * A client's sockets by namespace name. Most clients are in one namespace: its socket is kept in
 * a field, and a map is made only for a second one, so an idle client carries no map, while every
 * packet finds its socket in one lookup however many namespaces the client is in.
 */
export class ClientSockets {
  private firstName: string | undefined;
  private first: Socket | undefined;
  private rest: Map<string, Socket> | undefined;

  /** How many namespaces the client is in. */
  get size(): number {
    return (this.first === undefined ? 0 : 1) + (this.rest?.size ?? 0);
  }

  get(name: string): Socket | undefined {
    return name === this.firstName ? this.first : this.rest?.get(name);
  }

  set(name: string, socket: Socket): void {
    if (this.first === undefined || name === this.firstName) {
      this.firstName = name;
      this.first = socket;
    } else {
      (this.rest ??= new Map()).set(name, socket);
    }
  }

  delete(name: string): void {
    if (name === this.firstName) {
      this.firstName = undefined;
      this.first = undefined;
    } else if (this.rest?.delete(name) === true && this.rest.size === 0) {
      this.rest = undefined;
    }
  }

  /** The sockets, in a new array (callers disconnect them, which deletes them from here). */
  values(): Socket[] {
    const sockets = this.rest === undefined ? [] : [...this.rest.values()];
    if (this.first !== undefined) sockets.unshift(this.first);
    return sockets;
  }

  clear(): void {
    this.firstName = undefined;
    this.first = undefined;
    this.rest = undefined;
  }
}
