/** Message of the error an acknowledgement callback receives when the peer did not answer in time. */
export const ACK_TIMEOUT_MESSAGE = 'operation has timed out';

/** Message of the error a timed acknowledgement callback receives when the socket disconnects first. */
export const DISCONNECTED_MESSAGE = 'socket has been disconnected';
