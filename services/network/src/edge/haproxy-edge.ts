import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Edge, EdgeListenerState, EdgeListenerStatus } from './edge.js';
import { compileEdgeTable, type EdgeMapping, type EdgeRoute } from './edge-mapping.js';
import { type EdgeOptions, resolveEdgeOptions } from './edge-options.js';
import { allowedSources, type HaproxyListener, haproxyConfig } from './haproxy-config.js';

/**
 * The edge with HAProxy (2.6, TCP mode, master-worker) as its data plane: the
 * same `Edge` contract as the Node engine (edge.ts), with the bytes relayed by
 * a native process (about 0.8 of a direct connection's throughput and 0.7 of
 * its new connections where the Node relay gets 0.4-0.5, bench/edge.bench.ts).
 * How each part of the contract is kept:
 *
 * - `apply` writes the whole config under a temp dir and asks the master to
 *   reload (master CLI, repeated until acknowledged); it resolves when the
 *   worker of a reload that read that config loaded and the former one
 *   stopped listening (both share the listening sockets until then), or
 *   after `loadTimeoutMs` (10 s) with the master killed and started again,
 *   never later. The former worker keeps its established connections until
 *   they end, so rule changes never cut them.
 * - A listener that cannot bind would fail the whole reload, so new ones are
 *   first tried from here (bind, close); a taken port shows as `failed` and is
 *   tried again every `retryIntervalMs`.
 * - A remap or disassociation resets the address's connections once the new
 *   config is in: every TCP socket whose local address is that public address
 *   (the client-facing side of each forwarded connection) is destroyed with
 *   `ss -K`, which sends the client an RST. A connection made to the new
 *   config in the moment between reload and reset is reset too.
 * - Group rules match nothing (no `sourceGroups`: HAProxy cannot ask this
 *   process per connection); `createEdgeEngine` keeps such addresses on the
 *   Node engine.
 * - `connectionCount()` counts this host's open TCP sockets bound to a mapped
 *   public address (from /proc/net/tcp), so it also sees former workers';
 *   not the ones HAProxy closed and left to the kernel (inode 0).
 * - A master that exits, or does not load in time (then killed), is
 *   reported to the logger and started again with the current table; its
 *   listeners show `failed` until then.
 * - `close()` resets every forwarded connection, stops the master (and so its
 *   workers) and removes the temp dir. The master runs under
 *   `setpriv --pdeathsig KILL`, so it dies with this process even on SIGKILL
 *   (without setpriv, only on a normal exit); workers leave with their master.
 * - The temp dir carries this process's pid in its name; an edge starting
 *   removes those of processes that are gone (killed before close()).
 *
 * The one difference from the Node engine (tested in edge.test.ts): an
 * instance that refuses a connection is passed on to the client
 * as a FIN without a byte, not a reset; HAProxy 2.6 has no setting that resets
 * only then. The client's next writes are reset by the kernel, and HAProxy
 * keeps nothing for it. `option nolinger` would reset, but it resets every
 * connection at its end too (measured: most short connections with a
 * half-close lost their end or their answer), so it is not used.
 */
export interface HaproxyEdgeOptions extends EdgeOptions {
  /** The haproxy binary. Default `haproxy` from PATH. */
  binary?: string;
  /** How long a start or reload may take before the master is killed and started again. Default 10 s. */
  loadTimeoutMs?: number;
}

let setpriv: boolean | undefined;
/** Whether util-linux's setpriv (with --pdeathsig) runs here; asked once. */
function setprivAvailable(): boolean {
  setpriv ??= spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' }).status === 0;
  return setpriv;
}

/** How long a reload waits for the former worker to stop listening before it goes on regardless. */
const formerStopMs = 2_000;

/** Whether an haproxy binary runs here. */
export function haproxyAvailable(binary = 'haproxy'): boolean {
  return spawnSync(binary, ['-v'], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether this process may destroy sockets it does not own (CAP_NET_ADMIN,
 * bit 12 of the effective capabilities), as `ss -K` must to reset the
 * connections of a remapped or disassociated address.
 */
export function canResetSockets(): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return hex !== undefined && (Number.parseInt(hex.slice(-4), 16) & 0x1000) !== 0;
}

/**
 * Why the HAProxy engine cannot keep the edge's contract here, or undefined
 * when it can: it needs the binary, and CAP_NET_ADMIN (root, as on CI) for
 * the resets of a remap; without it a remapped address's established
 * connections would stay with the former instance until they end.
 */
export function haproxyUnusable(binary = 'haproxy'): string | undefined {
  if (!haproxyAvailable(binary)) return `no '${binary}' binary runs here (install HAProxy 2.6 or later)`;
  if (!canResetSockets()) {
    return "this process lacks CAP_NET_ADMIN, which resetting a remapped address's connections (ss -K) needs";
  }
  return undefined;
}

const tempPrefix = 'nimbus-edge-';

/**
 * Removes the temp dirs (config and sockets) of edges whose process is gone,
 * killed before its close() could: each dir's name carries its owner's pid.
 */
function sweepTempDirs(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = new RegExp(`^${tempPrefix}(\\d+)-`).exec(name)?.[1];
    if (pid === undefined || pid === String(process.pid)) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
        rmSync(join(tmpdir(), name), { recursive: true, force: true });
      }
    }
  }
}

interface Listener {
  publicIp: string;
  port: number;
  state: EdgeListenerState;
  error?: string;
}

const keyOf = (publicIp: string, port: number) => `${publicIp}:${port}`;

/** `127.64.0.5` as /proc/net/tcp writes it on a little-endian host: `0500407F`. */
const procAddress = (ip: string) =>
  ip
    .split('.')
    .reverse()
    .map((octet) => Number(octet).toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();

/** /proc/net/tcp states that are not a connection: LISTEN, TIME_WAIT, CLOSE. */
const notConnected = new Set(['0A', '06', '07']);

function tryBind(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

export function createHaproxyEdge(options: HaproxyEdgeOptions = {}): Edge {
  const resolved = resolveEdgeOptions(options);
  const binary = options.binary ?? 'haproxy';
  const loadTimeoutMs = options.loadTimeoutMs ?? 10_000;
  sweepTempDirs();
  const dir = mkdtempSync(join(tmpdir(), `${tempPrefix}${process.pid}-`));
  const configPath = join(dir, 'haproxy.cfg');
  const masterSocket = join(dir, 'master.sock');
  const pdeathsig = setprivAvailable();
  let routes = new Map<string, EdgeRoute>();
  const listeners = new Map<string, Listener>();
  /** Every public address ever mapped, for connectionCount. */
  const known = new Set<string>();
  let master: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  /**
   * Waiters for the master's "Loading success." / "Loading failure!" of their
   * config: with `since`, only an answer after a "Reloading HAProxy" line that
   * came after the config was written (the reload that read it), not one of
   * an earlier reload still under way.
   */
  let loading: { since?: number; wake: (ok: boolean, detail: string) => void }[] = [];
  /** Wakes the waiters an answer is for and keeps the others. */
  const answer = (ok: boolean, detail: string) => {
    const now = loading.filter((waiter) => waiter.since === undefined || reloads > waiter.since);
    loading = loading.filter((waiter) => !now.includes(waiter));
    for (const waiter of now) waiter.wake(ok, detail);
  };
  /** The config the current worker runs, if any. */
  let loadedConfig: string | undefined;
  let lastAlert = '';
  /** "Reloading HAProxy" lines seen: the master's acknowledgement of a reload. */
  let reloads = 0;
  /** The current worker's pid, and the one being forked. */
  let worker: string | undefined;
  let forking: string | undefined;
  /** Waiters for a former worker to stop listening, by pid. */
  const stopping = new Map<string, (() => void)[]>();
  /** Former workers that stopped listening before anyone waited for them (it may come first). */
  const stoppedEarly = new Set<string>();
  const stopped = (pid: string) => {
    const waiters = stopping.get(pid);
    if (!waiters) stoppedEarly.add(pid);
    for (const wake of waiters ?? []) wake();
    stopping.delete(pid);
  };
  let queue: Promise<void> = Promise.resolve();
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const killOnExit = () => master?.kill('SIGKILL');

  function startMaster(): void {
    const args = ['-W', '-db', '-S', masterSocket, '-f', configPath];
    // The kernel kills the master when this process dies, even by SIGKILL;
    // its workers leave when their master goes.
    const child = pdeathsig
      ? spawn('setpriv', ['--pdeathsig', 'KILL', '--', binary, ...args], {
          stdio: ['ignore', 'ignore', 'pipe'],
        })
      : spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    master = child;
    process.once('exit', killOnExit);
    let pending = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('[ALERT]')) lastAlert = line.replace(/^.*?:\s*/, '');
        if (line.includes('Reloading HAProxy')) reloads += 1;
        forking = /New worker \((\d+)\) forked/.exec(line)?.[1] ?? forking;
        // A former worker's last proxy is the internal HTTPCLIENT one.
        const done = /\((\d+)\) : Proxy <HTTPCLIENT> stopped|Former worker \((\d+)\) exited/.exec(line);
        if (done) stopped((done[1] ?? done[2]) as string);
        const ok = line.includes('Loading success.');
        if (ok) {
          const former = worker;
          worker = forking;
          answer(true, former ?? '');
        } else if (line.includes('Loading failure!')) {
          answer(false, lastAlert);
        }
      }
    });
    exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (master === child) master = undefined;
        worker = undefined;
        loadedConfig = undefined;
        for (const pid of [...stopping.keys()]) stopped(pid);
        process.off('exit', killOnExit);
        for (const { wake } of loading.splice(0)) wake(false, lastAlert || 'haproxy exited');
        if (!closed) died(code, signal);
        resolve();
      });
    });
    child.once('error', (error) => {
      lastAlert = error.message;
    });
  }

  /**
   * A master that exits while the edge runs: its listeners show as failed
   * and the retry starts a new one with the current table.
   */
  function died(code: number | null, signal: NodeJS.Signals | null): void {
    const error = `haproxy exited (${signal ?? `code ${code}`})`;
    resolved.logger?.warn({ code, signal, detail: lastAlert }, 'edge: haproxy exited; restarting it');
    for (const listener of listeners.values()) {
      if (listener.state !== 'failed') Object.assign(listener, { state: 'failed', error });
    }
    scheduleRetry();
  }

  /**
   * Asks the master to reload through its CLI socket, again until it says
   * "Reloading HAProxy". Not SIGUSR2 alone: a signal that arrives while the
   * master is still finishing a start or a reload is lost; the socket refuses
   * until the master listens, but a command taken just after a start can be
   * lost too.
   */
  function reload(child: ChildProcess): void {
    const acknowledged = reloads;
    const socket = connect(masterSocket);
    let sent = false;
    socket.on('connect', () => {
      sent = true;
      socket.end('reload\n');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      socket.destroy();
      if (master !== child || closed) return;
      if (!sent) {
        setTimeout(() => reload(child), 20).unref();
        return;
      }
      setTimeout(() => {
        if (reloads === acknowledged && master === child && !closed) reload(child);
      }, 300).unref();
    });
  }

  /** Writes the config and starts or reloads haproxy; resolves with whether it loaded. */
  function load(config: string): Promise<{ ok: boolean; detail: string }> {
    writeFileSync(`${configPath}.next`, config);
    renameSync(`${configPath}.next`, configPath);
    const loaded = new Promise<{ ok: boolean; detail: string }>((resolve) => {
      const timer = setTimeout(() => {
        loading = loading.filter((waiter) => waiter.wake !== wake);
        // A master that does not answer is not trusted with the next table.
        master?.kill('SIGKILL');
        resolve({ ok: false, detail: `haproxy did not load within ${loadTimeoutMs} ms` });
      }, loadTimeoutMs);
      const wake = (ok: boolean, detail: string) => {
        clearTimeout(timer);
        if (!ok || detail === '') {
          resolve({ ok, detail: ok ? '' : detail });
          return;
        }
        // Until the former worker stops listening it still accepts on the
        // shared sockets with the former table.
        const former = detail;
        if (stoppedEarly.delete(former)) {
          resolve({ ok: true, detail: '' });
          return;
        }
        const cap = setTimeout(() => stopped(former), formerStopMs);
        stopping.set(former, [
          ...(stopping.get(former) ?? []),
          () => {
            clearTimeout(cap);
            resolve({ ok: true, detail: '' });
          },
        ]);
      };
      loading.push(master ? { since: reloads, wake } : { wake });
    });
    lastAlert = '';
    if (master) reload(master);
    else startMaster();
    return loaded;
  }

  /** Resets the client-facing socket of every connection forwarded from these public addresses. */
  function resetConnections(publicIps: Iterable<string>): void {
    for (const ip of publicIps) spawnSync('ss', ['-K', '-tn', 'src', ip], { stdio: 'ignore' });
  }

  /** Brings haproxy in line with `routes`: tries new listeners, reloads, marks the outcome. */
  async function sync(dropped: readonly string[]): Promise<void> {
    if (closed) return;
    const wanted: HaproxyListener[] = [];
    for (const route of routes.values()) {
      for (const port of route.ports) {
        wanted.push({ publicIp: route.publicIp, port, privateIp: route.privateIp, sources: [] });
      }
    }
    const tried: Listener[] = [];
    const unbound = new Set<string>();
    for (const item of wanted) {
      const key = keyOf(item.publicIp, item.port);
      const listener = listeners.get(key);
      if (!listener || listener.state === 'listening') continue;
      const error = await tryBind(item.publicIp, item.port);
      if (error === undefined) {
        tried.push(listener);
      } else {
        Object.assign(listener, { state: 'failed', error });
        unbound.add(key);
      }
    }
    if (closed) return;
    const serve = wanted
      .filter((item) => !unbound.has(keyOf(item.publicIp, item.port)))
      .map((item) => {
        const route = routes.get(item.publicIp) as EdgeRoute;
        return { ...item, sources: allowedSources(route.ingress, item.port) };
      });
    const config = haproxyConfig(dir, serve);
    // No process until some address is served: a table without listeners
    // (and no running master holding connections) needs none.
    const idle = master === undefined && serve.length === 0;
    const unchanged = idle || (master !== undefined && loadedConfig === config);
    const { ok, detail } = unchanged ? { ok: true, detail: '' } : await load(config);
    if (ok && !unchanged) loadedConfig = config;
    for (const listener of tried) {
      if (ok) {
        listener.state = 'listening';
        delete listener.error;
      } else {
        Object.assign(listener, { state: 'failed', error: detail });
      }
    }
    if (!ok) {
      resolved.logger?.warn({ detail }, 'edge: haproxy did not load the new table; retrying');
      scheduleRetry();
    }
    resetConnections(dropped);
    if ([...listeners.values()].some((l) => l.state === 'failed')) scheduleRetry();
  }

  function enqueue(dropped: readonly string[]): Promise<void> {
    queue = queue.then(() => sync(dropped));
    return queue;
  }

  function scheduleRetry(): void {
    if (retryTimer || closed) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void enqueue([]);
    }, resolved.retryIntervalMs);
    retryTimer.unref();
  }

  async function close(): Promise<void> {
    if (closed) return exited;
    closed = true;
    clearTimeout(retryTimer);
    await queue;
    routes = new Map();
    listeners.clear();
    resetConnections(known);
    master?.kill('SIGTERM');
    const stopping = exited;
    const force = setTimeout(() => master?.kill('SIGKILL'), 2000);
    await stopping;
    clearTimeout(force);
    rmSync(dir, { recursive: true, force: true });
  }

  return {
    async apply(mappings: readonly EdgeMapping[]) {
      if (closed) throw new Error('the edge is closed');
      const next = compileEdgeTable(mappings, resolved.wideRangeThreshold);
      const dropped = [...routes.values()]
        .filter((route) => next.get(route.publicIp)?.privateIp !== route.privateIp)
        .map((route) => route.publicIp);
      routes = next;
      const wanted = new Set<string>();
      for (const route of next.values()) {
        known.add(route.publicIp);
        for (const port of route.ports) {
          const key = keyOf(route.publicIp, port);
          wanted.add(key);
          if (!listeners.has(key)) listeners.set(key, { publicIp: route.publicIp, port, state: 'binding' });
        }
      }
      for (const key of listeners.keys()) if (!wanted.has(key)) listeners.delete(key);
      await enqueue(dropped);
    },
    listeners(): EdgeListenerStatus[] {
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
      if (known.size === 0) return 0;
      const locals = new Set([...known].map(procAddress));
      let count = 0;
      for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
        const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
        // Inode 0: closed by HAProxy and left to the kernel (an orphan waiting for the peer's FIN).
        if (!local || !state || inode === undefined || inode === '0' || notConnected.has(state)) continue;
        if (locals.has(local.split(':')[0] ?? '')) count += 1;
      }
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
