/** What the client scenario asks a client memory process (memory-main.ts), without the request id. */
export type ClientMemoryQuestion =
  /** Memory after full collections; `settle` first waits for V8 to shrink its young generation. */
  | { readonly type: 'memory'; readonly settle: boolean }
  /** Opens that many clients and keeps them idle; answers with the number held. */
  | { readonly type: 'connect'; readonly connections: number };

/** A request to a client memory process. */
export type ClientMemoryRequest = ClientMemoryQuestion & { readonly id: number };
