/**
 * The data plane: follows every record under /nimbus/loadbalancing/ (list,
 * then watch) and makes the process match it. Each listener of an active
 * load balancer listens on each of the balancer's addresses (the public one
 * when internet-facing, and the private one of each zone); each target group
 * in use health-checks its targets. A change is applied in place: listeners
 * that stay keep their sockets and connections, rules and target groups are
 * swapped under them, targets that stay keep their health. After a restart
 * everything is rebuilt from the store, with every target back in `initial`.
 *
 * Nimbus: one replica runs the data plane (it binds the addresses).
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import { Informer } from '@nimbus/controller';
import type { EventBus } from '@nimbus/events';
import type { Store } from '@nimbus/store';
import type { Logger } from 'pino';
import { targetGroupsOf } from '../domain/actions.js';
import {
  type ListenerRecord,
  type LoadBalancerRecord,
  lbPrefix,
  type TargetGroupRecord,
  type TargetRecord,
} from '../state/records.js';
import { type CompiledListener, compileListener } from './compiled-listener.js';
import { createHttpListenerServer } from './http-proxy.js';
import { compileIngress, type IngressCheck, type IngressRule } from './ingress.js';
import { TargetGroupRuntime } from './target-group-runtime.js';
import type { HealthTransition } from './target-runtime.js';
import { createTcpListenerServer } from './tcp-proxy.js';
import { addFigures, emptyFigures } from './traffic-counters.js';
import type { TrafficView, TrafficWindow } from './traffic-view.js';

export const targetHealthChangedSubject = 'nimbus.loadbalancing.target.health-changed';

export interface DataPlaneOptions {
  store: Store;
  bus: EventBus;
  logger: Logger;
  now?: () => number;
  /** Multiplies health-check intervals, timeouts and slow start (default 1; tests shrink time). */
  timeScale?: number;
  /** The ingress rules of security groups, asked for the account (network's DescribeSecurityGroups). */
  ingress?: (accountId: string, groupIds: readonly string[]) => Promise<IngressRule[]>;
  /** How often security group rules are read again (default 2 s). */
  ingressRefreshMs?: number;
}

interface Binding {
  key: string;
  loadBalancerArn: string;
  ip: string;
  port: number;
  listenerArn: string;
  protocol: 'HTTP' | 'TCP';
  server?: Server | NetServer;
  /** Set while the bind is failing, to retry. */
  failedAt?: number;
}

export interface DataPlane extends TrafficView {
  start(signal: AbortSignal): Promise<void>;
  /** Resolves once the first list of the store is applied. */
  ready(): Promise<void>;
  /** The target groups in use and their figures over the last `periodSeconds` (for samples). */
  windows(periodSeconds: number): { group: TargetGroupRecord; window: TrafficWindow }[];
  /** An instance entered `state` (compute's event): stopped and stopping instances get no traffic. */
  noteInstanceState(accountId: string, instanceId: string, state: string): void;
  /** host:port of every listening socket, for tests and logs. */
  listening(): string[];
  close(): Promise<void>;
}

const retryBindMs = 1000;
/** ELBv2's default idle timeout of a load balancer's connections (idle_timeout.timeout_seconds). */
const idleTimeoutSeconds = 60;

export function createDataPlane(options: DataPlaneOptions): DataPlane {
  const { store, bus, logger } = options;
  const now = options.now ?? Date.now;
  const timeScale = options.timeScale ?? 1;
  const informer = new Informer({ store, prefix: lbPrefix, logger });
  const groups = new Map<string, TargetGroupRuntime>();
  let listeners = new Map<string, CompiledListener>();
  const bindings = new Map<string, Binding>();
  const draining = new Set<string>();
  /** Per application load balancer with security groups: its groups and, once read, what they let in. */
  const ingress = new Map<string, { accountId: string; groups: string; check?: IngressCheck }>();
  let ingressTimer: NodeJS.Timeout | undefined;
  let syncQueued = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;
  let markReady: () => void = () => {};
  const readyPromise = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  function publishTransition(group: TargetGroupRecord, target: TargetRecord, t: HealthTransition): void {
    logger.info(
      {
        targetGroup: group.arn,
        target: `${target.id}:${target.port}`,
        from: t.from,
        to: t.to,
        reason: t.reason,
      },
      'target health changed',
    );
    bus
      .publish({
        subject: targetHealthChangedSubject,
        id: randomUUID(),
        accountId: group.accountId,
        resourceId: group.arn,
        detailJson: JSON.stringify({
          targetGroupArn: group.arn,
          target: { id: target.id, port: target.port },
          previousState: t.from,
          state: t.to,
          reason: t.reason,
          description: t.description,
        }),
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'target health event not published'));
  }

  /** Takes a drained target out of its group's record (if it is still the one that drained). */
  async function removeDrained(group: TargetGroupRecord, target: TargetRecord): Promise<void> {
    const key = `${group.arn}|${target.id}:${target.port}`;
    if (draining.has(key)) return;
    draining.add(key);
    try {
      for (let attempt = 0; attempt < 20 && !closed; attempt++) {
        const kv = await store.get(`${lbPrefix}target-groups/${group.accountId}/${group.hex}`);
        if (!kv) return;
        const current = JSON.parse(kv.value) as TargetGroupRecord;
        const targets = current.targets.filter(
          (t) => !(t.id === target.id && t.port === target.port && t.drainingSince === target.drainingSince),
        );
        if (targets.length === current.targets.length) return;
        const written = await store.update(kv.key, JSON.stringify({ ...current, targets }), kv.modRevision);
        if (written.ok) return;
      }
    } catch (error) {
      logger.warn({ err: error, targetGroup: group.arn }, 'drained target not removed yet');
    } finally {
      draining.delete(key);
    }
  }

  const stoppedInstances = new Set<string>();
  const runtimeOptions = {
    now,
    timeScale,
    instanceStopped: (accountId: string, instanceId: string) =>
      stoppedInstances.has(`${accountId}/${instanceId}`),
    onTransition: publishTransition,
    onDrained: (group: TargetGroupRecord, target: TargetRecord) => void removeDrained(group, target),
  };

  function queueSync(): void {
    if (syncQueued || closed) return;
    syncQueued = true;
    setImmediate(() => {
      syncQueued = false;
      sync();
    });
  }

  function sync(): void {
    if (closed) return;
    const loadBalancers = new Map<string, LoadBalancerRecord>();
    const listenerRecords: ListenerRecord[] = [];
    const groupRecords: TargetGroupRecord[] = [];
    for (const kv of informer.values()) {
      const rest = kv.key.slice(lbPrefix.length);
      if (rest.startsWith('load-balancers/')) {
        const lb = JSON.parse(kv.value) as LoadBalancerRecord;
        if (lb.state === 'active') loadBalancers.set(lb.arn, lb);
      } else if (rest.startsWith('listeners/')) listenerRecords.push(JSON.parse(kv.value) as ListenerRecord);
      else if (rest.startsWith('target-groups/'))
        groupRecords.push(JSON.parse(kv.value) as TargetGroupRecord);
    }
    const live = listenerRecords.filter((l) => loadBalancers.has(l.loadBalancerArn));
    const inUse = new Set<string>();
    for (const l of live) {
      for (const arn of targetGroupsOf(l.defaultAction)) inUse.add(arn);
      for (const r of l.rules) for (const arn of targetGroupsOf(r.action)) inUse.add(arn);
    }
    const seenGroups = new Set<string>();
    for (const record of groupRecords) {
      seenGroups.add(record.arn);
      const runtime = groups.get(record.arn);
      if (runtime) runtime.update(record, inUse.has(record.arn));
      else {
        const created = new TargetGroupRuntime(record, runtimeOptions);
        groups.set(record.arn, created);
        created.update(record, inUse.has(record.arn));
      }
    }
    for (const [arn, runtime] of groups) {
      if (!seenGroups.has(arn)) {
        runtime.close();
        groups.delete(arn);
      }
    }
    listeners = new Map(live.map((l) => [l.arn, compileListener(l)]));
    const wanted = new Map<string, Binding>();
    for (const l of live) {
      const lb = loadBalancers.get(l.loadBalancerArn) as LoadBalancerRecord;
      const ips = new Set<string>();
      for (const zone of lb.zones) {
        if (zone.privateIp) ips.add(zone.privateIp);
        if (zone.publicIp) ips.add(zone.publicIp);
      }
      for (const ip of ips) {
        const key = `${ip}:${l.port}`;
        wanted.set(key, {
          key,
          loadBalancerArn: lb.arn,
          ip,
          port: l.port,
          listenerArn: l.arn,
          protocol: l.protocol,
        });
      }
    }
    const guarded = new Set<string>();
    for (const lb of loadBalancers.values()) {
      if (lb.type !== 'application' || lb.securityGroups.length === 0) continue;
      guarded.add(lb.arn);
      const groups = [...lb.securityGroups].sort().join(',');
      if (ingress.get(lb.arn)?.groups !== groups) {
        ingress.set(lb.arn, { accountId: lb.accountId, groups });
        void refreshIngress(lb.arn);
      }
    }
    for (const arn of ingress.keys()) if (!guarded.has(arn)) ingress.delete(arn);
    for (const [key, binding] of bindings) {
      const next = wanted.get(key);
      if (!next || next.protocol !== binding.protocol) {
        closeBinding(binding);
        bindings.delete(key);
      } else {
        // Same address and protocol: the socket stays, requests see the new listener.
        binding.listenerArn = next.listenerArn;
      }
    }
    for (const [key, binding] of wanted) {
      if (!bindings.has(key)) {
        bindings.set(key, binding);
        bind(binding);
      }
    }
  }

  async function refreshIngress(arn: string): Promise<void> {
    const entry = ingress.get(arn);
    if (!entry || !options.ingress) return;
    try {
      const rules = await options.ingress(entry.accountId, entry.groups.split(','));
      if (ingress.get(arn) === entry) entry.check = compileIngress(rules);
    } catch (error) {
      logger.warn({ err: error, loadBalancer: arn }, 'security group rules not read; keeping the last ones');
    }
  }

  /** Whether a client may connect to a listener of `arn`: every client without security groups; none before they are read. */
  function admits(arn: string, ip: string | undefined, port: number): boolean {
    const entry = ingress.get(arn);
    if (!entry) return true;
    return entry.check !== undefined && ip !== undefined && entry.check(ip, port);
  }

  function bind(binding: Binding): void {
    const routing = {
      listener: () => listeners.get(binding.listenerArn),
      targetGroup: (arn: string) => groups.get(arn),
      now,
      idleTimeoutMs: idleTimeoutSeconds * 1000 * timeScale,
    };
    const server =
      binding.protocol === 'HTTP' ? createHttpListenerServer(routing) : createTcpListenerServer(routing);
    binding.server = server;
    if (binding.protocol === 'HTTP') {
      server.on('connection', (socket: Socket) => {
        if (!admits(binding.loadBalancerArn, socket.remoteAddress, binding.port)) socket.destroy();
      });
    }
    server.once('error', (error) => {
      logger.error({ err: error, address: binding.key }, 'listener cannot listen; retrying');
      binding.server = undefined;
      binding.failedAt = now();
      if (!retryTimer && !closed) {
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          for (const [key, b] of bindings) {
            if (b.failedAt !== undefined && !b.server) {
              b.failedAt = undefined;
              if (bindings.get(key) === b) bind(b);
            }
          }
        }, retryBindMs);
      }
    });
    server.listen({ host: binding.ip, port: binding.port }, () => {
      logger.info({ address: binding.key, protocol: binding.protocol }, 'listener listening');
    });
  }

  function closeBinding(binding: Binding): void {
    const server = binding.server;
    binding.server = undefined;
    if (!server) return;
    server.close();
    if ('closeAllConnections' in server) server.closeAllConnections();
  }

  function emptyWindow(): TrafficWindow['group'] {
    return { ...emptyFigures(), healthy: 0, unhealthy: 0, active: 0, registered: 0 };
  }

  const self: DataPlane = {
    async start(signal) {
      informer.onEvent(() => queueSync());
      ingressTimer = setInterval(() => {
        for (const arn of ingress.keys()) void refreshIngress(arn);
      }, options.ingressRefreshMs ?? 2000);
      ingressTimer.unref();
      const running = informer.start(signal);
      await Promise.race([informer.synced(), running]);
      sync();
      markReady();
      await running;
    },
    ready: () => readyPromise,
    noteInstanceState(accountId, instanceId, state) {
      const key = `${accountId}/${instanceId}`;
      const stopped = state === 'stopping' || state === 'stopped';
      if (stopped === stoppedInstances.has(key)) return;
      if (stopped) stoppedInstances.add(key);
      else stoppedInstances.delete(key);
      for (const runtime of groups.values()) if (runtime.record.accountId === accountId) runtime.invalidate();
    },
    windows(periodSeconds) {
      return [...groups.values()]
        .filter((g) => g.inUse)
        .map((g) => ({ group: g.record, window: self.window(g.record, periodSeconds) }));
    },
    listening() {
      return [...bindings.values()].filter((b) => b.server?.listening).map((b) => b.key);
    },
    health(group, target) {
      const runtime = groups.get(group.arn);
      if (!runtime) {
        return {
          state: 'initial',
          reason: 'Elb.RegistrationInProgress',
          description: 'Target registration is in progress',
        };
      }
      return runtime.health(target);
    },
    window(group, periodSeconds) {
      const end = now();
      const runtime = groups.get(group.arn);
      const window: TrafficWindow = {
        startTime: end - periodSeconds * 1000,
        endTime: end,
        group: emptyWindow(),
        targets: [],
      };
      if (!runtime) return window;
      addFigures(window.group, runtime.counters.sum(periodSeconds));
      for (const t of runtime.targets.values()) {
        const figures = t.counters.sum(periodSeconds);
        window.targets.push({ id: t.record.id, port: t.record.port, figures, active: t.inFlight });
        window.group.active += t.inFlight;
        const health = runtime.health(t.record);
        if (health.state === 'healthy') window.group.healthy++;
        else if (health.state === 'unhealthy') window.group.unhealthy++;
      }
      window.group.registered = runtime.targets.size;
      return window;
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      if (ingressTimer) clearInterval(ingressTimer);
      for (const binding of bindings.values()) closeBinding(binding);
      bindings.clear();
      for (const runtime of groups.values()) runtime.close();
      groups.clear();
    },
  };
  return self;
}
