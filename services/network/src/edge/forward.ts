import { connect, type Socket } from 'node:net';

/** A client connection the edge forwards to an instance. */
export interface ForwardedConnection {
  readonly privateIp: string;
  /** Resets both sides at once (the address went away or moved). */
  drop(): void;
}

/**
 * Resets a socket (RST, not FIN) when it has a connected TCP handle whose
 * writing side is still open, else destroys it. Node (20) fails a reset of a
 * socket that already sent its FIN with EINVAL and then never emits 'close',
 * which the edge counts on; and it defers the reset of a socket still
 * connecting until it connects, which may be never.
 */
export function reset(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting || socket.writableEnded) {
    socket.destroy();
    return;
  }
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** What pipe() does, with the few listeners a byte relay needs: chunks, backpressure, end. */
function relay(from: Socket, to: Socket): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.on('end', () => to.end());
}

/**
 * Connects to `privateIp:port` and relays both ways. The kernel and the
 * streams do the byte work (JS sees each chunk once, never each byte), with
 * backpressure; a FIN from either side ends only the other's writing side, so
 * protocols that shut down writing keep reading; a reset or error on either
 * side resets the other, so a client sees a refused or reset connection as it
 * would dialling the instance itself. `onClosed` runs once both sockets closed.
 */
export function forwardConnection(
  client: Socket,
  privateIp: string,
  port: number,
  onClosed: () => void,
): ForwardedConnection {
  const upstream = connect({ host: privateIp, port, allowHalfOpen: true, noDelay: true });
  client.on('error', () => reset(upstream));
  upstream.on('error', () => reset(client));
  relay(client, upstream);
  relay(upstream, client);
  // A clean close of one side means both of its directions ended, so the
  // other side is only flushing; anything else left open would leak.
  let open = 2;
  const closeOf = (other: Socket) => () => {
    if (!other.destroyed && !(other.readableEnded && other.writableEnded)) other.destroy();
    open -= 1;
    if (open === 0) onClosed();
  };
  client.once('close', closeOf(upstream));
  upstream.once('close', closeOf(client));
  return {
    privateIp,
    drop() {
      reset(client);
      reset(upstream);
    },
  };
}
