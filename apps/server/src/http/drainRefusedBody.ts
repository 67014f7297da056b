import type { IncomingMessage } from 'node:http';

/**
 * How long, and how much, the server keeps reading a body it refused before it cuts the connection
 * (as nginx's `lingering_time` / `lingering_timeout` bound its lingering close).
 */
export const LINGER = {
  /** The most bytes of a refused body read and thrown away. */
  maxBytes: 256 * 1024 * 1024,
  /** The longest the discard may take, however fast the client sends. */
  maxMs: 30_000,
  /** The longest the client may go without sending anything meanwhile. */
  idleMs: 5_000,
};

/**
 * Lets a request whose body the server refused unread (a 413 announced by its length, a 415) still
 * receive its answer.
 *
 * Fastify marks such an answer `connection: close` (the caller removes that), and Node then closes
 * the socket as soon as the answer is written: the body still on its way makes the kernel reset
 * the connection, and a client that sends its whole body before it reads (most do) sees EPIPE or
 * ECONNRESET instead of the answer. Here the connection stays open while the rest of the body is
 * read and thrown away, and then serves the client's next request like any kept-alive connection
 * (closing it then would race a client that reuses it). A client that sends more than
 * `LINGER.maxBytes`, for longer than `LINGER.maxMs`, or stalls for `LINGER.idleMs`, is cut off,
 * so a refused body can hold no connection for long.
 */
export function drainRefusedBody(req: IncomingMessage): void {
  const socket = req.socket;
  if (!socket || socket.destroyed || req.complete) return;
  const startBytes = socket.bytesRead;
  let idle: NodeJS.Timeout | undefined;
  const stop = () => {
    clearTimeout(idle);
    clearTimeout(deadline);
  };
  const cutOff = () => {
    stop();
    socket.destroy();
  };
  const deadline = setTimeout(cutOff, LINGER.maxMs).unref();
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(cutOff, LINGER.idleMs).unref();
  };
  touch();
  req.on('data', () => {
    if (socket.bytesRead - startBytes > LINGER.maxBytes) cutOff();
    else touch();
  });
  req.once('end', stop);
  socket.once('close', stop);
  req.resume();
}
