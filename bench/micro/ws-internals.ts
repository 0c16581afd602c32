import { createRequire } from 'node:module';

/** The part of ws's frame parser (a Writable stream) the micro-benchmarks drive. @types/ws omits it. */
export interface WsReceiver {
  write(chunk: Buffer): boolean;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}

/** ws's static frame encoder. */
export interface WsSenderStatic {
  frame(
    data: Buffer,
    options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean; maskBuffer?: Buffer },
  ): Buffer[];
}

interface WsModule {
  Receiver: new (options: { isServer: boolean; binaryType: string; maxPayload: number }) => WsReceiver;
  Sender: WsSenderStatic;
}

/** ws's Receiver and Sender classes, which its package exports but its type declarations do not. */
export function loadWsInternals(): WsModule {
  const require = createRequire(import.meta.url);
  return require('ws') as WsModule;
}
