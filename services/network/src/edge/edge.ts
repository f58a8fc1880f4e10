import { createServer, type Server, type Socket } from 'node:net';
import type { TrafficSource } from '../domain/rule-matcher.js';
import { compileEdgeTable, type EdgeMapping, type EdgeRoute } from './edge-mapping.js';
import { type EdgeOptions, resolveEdgeOptions } from './edge-options.js';
import { type ForwardedConnection, forwardConnection, reset } from './forward.js';

/**
 * The public edge's data plane: makes every public IPv4 address of the table
 * reachable on this host. Contract:
 *
 * - `apply(mappings)` replaces the whole desired table (idempotent; a table
 *   with an address outside 127.0.0.0/8 or a public address twice is refused
 *   whole with an EdgeMappingError). It takes effect synchronously: listeners
 *   no longer wanted are closed, rule and address changes are seen by the next
 *   connection; the promise resolves once new listeners are bound or failed.
 * - A listener per public address and TCP port that some ingress rule opens
 *   (wide ranges: only the instance's listening ports, see `listenerPorts`).
 *   Each new connection is checked against the current rules with the
 *   client's address (`socket.remoteAddress`) as the source; a refused one is
 *   reset at once, an allowed one is forwarded to privateIp on the same port.
 * - Established connections: a rule change never cuts them (EC2 tracks
 *   established flows and lets them finish, even when the rule that allowed
 *   them is revoked and the listener closes). A remap to another private
 *   address or a disassociation resets them, as EC2 drops them: the public
 *   address no longer leads to that instance.
 * - A listener that fails to bind (port taken by another process) shows as
 *   `failed` in `listeners()` and is tried again every `retryIntervalMs`.
 * - `start(signal)` resolves after `close()` once the signal aborts; `close()`
 *   closes every listener and resets every connection. The instance sees
 *   forwarded connections coming from the host's loopback address, as behind a
 *   proxy, not from the client's address.
 */
export interface Edge {
  apply(mappings: readonly EdgeMapping[]): Promise<void>;
  /** Every listener of the table, sorted by address and port. */
  listeners(): EdgeListenerStatus[];
  /** Forwarded connections that are not yet closed on both sides. */
  connectionCount(): number;
  start(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** `binding`: listen() in progress; `failed`: bind refused, retried later. */
export type EdgeListenerState = 'binding' | 'listening' | 'failed';

export interface EdgeListenerStatus {
  publicIp: string;
  port: number;
  privateIp: string;
  state: EdgeListenerState;
  /** Why the last bind failed. */
  error?: string;
}

interface Listener {
  readonly publicIp: string;
  readonly port: number;
  readonly server: Server;
  state: EdgeListenerState;
  error?: string;
  /** False once the table no longer has it; a bind in progress then closes on completion. */
  wanted: boolean;
  /** Resolves when the bind succeeded or failed. */
  readonly bound: Promise<void>;
  /** Resolves when the listening socket is closed (or never opened). */
  readonly stopped: Promise<void>;
}

const keyOf = (publicIp: string, port: number) => `${publicIp}:${port}`;

/** `::ffff:127.0.0.1` (IPv4-mapped) as `127.0.0.1`. */
function ipv4Of(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}

export function createEdge(options: EdgeOptions = {}): Edge {
  const resolved = resolveEdgeOptions(options);
  let routes = new Map<string, EdgeRoute>();
  const listeners = new Map<string, Listener>();
  const connections = new Map<string, Set<ForwardedConnection>>();
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;
  /** Waiting for the last connection to close. */
  const idle: (() => void)[] = [];

  function accept(publicIp: string, port: number, socket: Socket): void {
    socket.on('error', () => undefined);
    const route = routes.get(publicIp);
    const address = ipv4Of(socket.remoteAddress);
    let source: string | TrafficSource | undefined = address;
    if (route?.hasGroupRules && address !== undefined && resolved.sourceGroups) {
      source = { address, groupIds: resolved.sourceGroups(address) ?? [] };
    }
    if (!route || source === undefined || !route.allows({ protocol: 6, port, source })) {
      reset(socket);
      return;
    }
    let set = connections.get(publicIp);
    if (!set) {
      set = new Set();
      connections.set(publicIp, set);
    }
    const owner = set;
    const connection = forwardConnection(socket, route.privateIp, port, () => {
      owner.delete(connection);
      if (owner.size === 0 && connections.get(publicIp) === owner) connections.delete(publicIp);
      if (connections.size === 0) for (const wake of idle.splice(0)) wake();
    });
    owner.add(connection);
  }

  function open(publicIp: string, port: number): Listener {
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) =>
      accept(publicIp, port, socket),
    );
    let settle!: () => void;
    const bound = new Promise<void>((resolve) => {
      settle = resolve;
    });
    let markStopped!: () => void;
    const stopped = new Promise<void>((resolve) => {
      markStopped = resolve;
    });
    server.once('close', () => markStopped());
    const listener: Listener = { publicIp, port, server, state: 'binding', wanted: true, bound, stopped };
    server.on('error', (error: NodeJS.ErrnoException) => {
      const wasListening = listener.state === 'listening';
      listener.state = 'failed';
      listener.error = error.code ?? error.message;
      if (listener.wanted)
        resolved.logger?.warn({ publicIp, port, err: error }, 'edge listener failed; retrying');
      if (wasListening) server.close();
      else markStopped();
      settle();
      scheduleRetry();
    });
    server.listen({ host: publicIp, port }, () => {
      listener.state = 'listening';
      settle();
      if (!listener.wanted) server.close();
    });
    return listener;
  }

  function stop(listener: Listener): void {
    listener.wanted = false;
    if (listener.state === 'listening') listener.server.close();
  }

  /** Brings the listeners in line with `routes`; resolves when the new ones are bound or failed. */
  function reconcile(): Promise<void> {
    const wanted = new Set<string>();
    for (const route of routes.values()) {
      for (const port of route.ports) wanted.add(keyOf(route.publicIp, port));
    }
    for (const [key, listener] of listeners) {
      if (!wanted.has(key)) {
        stop(listener);
        listeners.delete(key);
      }
    }
    const binding: Promise<void>[] = [];
    for (const route of routes.values()) {
      for (const port of route.ports) {
        const key = keyOf(route.publicIp, port);
        const current = listeners.get(key);
        if (current && current.state !== 'failed') continue;
        const listener = open(route.publicIp, port);
        listeners.set(key, listener);
        binding.push(listener.bound);
      }
    }
    return Promise.all(binding).then(() => undefined);
  }

  function scheduleRetry(): void {
    if (retryTimer || closed) return;
    retryTimer = setInterval(() => {
      if ([...listeners.values()].some((l) => l.state === 'failed')) {
        void reconcile();
      } else {
        clearInterval(retryTimer);
        retryTimer = undefined;
      }
    }, resolved.retryIntervalMs);
    retryTimer.unref();
  }

  async function close(): Promise<void> {
    closed = true;
    clearInterval(retryTimer);
    retryTimer = undefined;
    routes = new Map();
    const all = [...listeners.values()];
    listeners.clear();
    for (const listener of all) stop(listener);
    const open = [...connections.values()].flatMap((set) => [...set]);
    for (const connection of open) connection.drop();
    const drained = connections.size === 0 ? undefined : new Promise<void>((resolve) => idle.push(resolve));
    await Promise.all([...all.map((l) => l.bound.then(() => l.stopped)), drained]);
  }

  return {
    // Async only for the bind wait: everything up to it runs within the call.
    async apply(mappings) {
      if (closed) throw new Error('the edge is closed');
      const next = compileEdgeTable(mappings, resolved.wideRangeThreshold);
      for (const [publicIp, set] of connections) {
        const privateIp = next.get(publicIp)?.privateIp;
        for (const connection of set) {
          if (connection.privateIp !== privateIp) connection.drop();
        }
      }
      routes = next;
      await reconcile();
    },
    listeners() {
      return [...listeners.values()]
        .map((l) => ({
          publicIp: l.publicIp,
          port: l.port,
          privateIp: routes.get(l.publicIp)?.privateIp ?? '',
          state: l.state,
          ...(l.error === undefined ? {} : { error: l.error }),
        }))
        .sort((a, b) => (a.publicIp === b.publicIp ? a.port - b.port : a.publicIp < b.publicIp ? -1 : 1));
    },
    connectionCount() {
      let count = 0;
      for (const set of connections.values()) count += set.size;
      return count;
    },
    async start(signal) {
      if (!signal.aborted) {
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
      }
      await close();
    },
    close,
  };
}
