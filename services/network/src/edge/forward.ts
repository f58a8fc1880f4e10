import { connect, type Socket } from 'node:net';

/** A client connection the edge forwards to an instance. */
export interface ForwardedConnection {
  readonly privateIp: string;
  /** Resolves once both sockets are closed. */
  readonly closed: Promise<void>;
  /** Resets both sides at once (the address went away or moved). */
  drop(): void;
}

/** Resets a socket (RST, not FIN) when it still has a TCP handle, else destroys it. */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/**
 * Connects to `privateIp:port` and pipes both ways. The kernel and the streams
 * do the byte work: backpressure through pipe(), half-close passed on (a FIN
 * from either side ends the other's writing side only, so request/response
 * protocols that shut down writing keep reading), and a reset or error on
 * either side resets the other, so a client sees a refused or reset
 * connection as it would dialling the instance itself.
 */
export function forwardConnection(client: Socket, privateIp: string, port: number): ForwardedConnection {
  const upstream = connect({ host: privateIp, port, allowHalfOpen: true, noDelay: true });
  client.setNoDelay(true);
  client.on('error', () => reset(upstream));
  upstream.on('error', () => reset(client));
  client.pipe(upstream);
  upstream.pipe(client);

  const closeOne = (socket: Socket) =>
    new Promise<void>((resolve) => {
      if (socket.closed) resolve();
      else socket.once('close', () => resolve());
    });
  // A clean close of one side means both of its directions ended, so the
  // other side is only flushing; anything else left open would leak.
  const settle = (other: Socket) => () => {
    if (!other.destroyed && !(other.readableEnded && other.writableEnded)) other.destroy();
  };
  client.once('close', settle(upstream));
  upstream.once('close', settle(client));
  const closed = Promise.all([closeOne(client), closeOne(upstream)]).then(() => undefined);

  return {
    privateIp,
    closed,
    drop() {
      reset(client);
      reset(upstream);
    },
  };
}
