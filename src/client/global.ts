/**
 * The entry of the IIFE bundles (`socket.io.js`, `socket.io.min.js`): a page that loads one gets a
 * global `io`, the function with `io.Manager`, `io.Socket`, `io.io`, `io.connect` and
 * `io.protocol`, as with the official client's bundle.
 */
import { Manager, Socket, io, protocol } from './index.js';

export default Object.assign(io, { io, connect: io, Manager, Socket, protocol });
