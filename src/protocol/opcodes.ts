/** WebSocket frame opcodes (RFC 6455 §5.2, §11.8). */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** One of the opcodes RFC 6455 defines. */
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** Whether `opcode` is a control opcode (RFC 6455 §5.5: the high bit of the 4-bit opcode is set). */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** Whether `opcode` is one RFC 6455 defines; the rest are reserved (§5.2) and fail the connection. */
export function isKnownOpcode(opcode: number): boolean {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xa);
}
