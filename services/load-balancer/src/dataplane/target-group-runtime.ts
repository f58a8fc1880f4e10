/**
 * A target group in the data plane: its targets, their health checks (spread
 * over the interval, each target on its own timer), the choice of a target
 * per request or connection by the group's algorithm, and draining.
 *
 * Which targets get traffic: the healthy ones that are not draining; when
 * none is healthy, every registered target that is not draining (fail open);
 * none at all (nothing registered, or all draining): the caller answers 503.
 * With health checks disabled every target gets traffic.
 */
import { parseMatcher } from '../domain/health-check-settings.js';
import type { TargetGroupRecord, TargetRecord } from '../state/records.js';
import { type ProbeOutcome, probe } from './health-probe.js';
import { type HealthTransition, TargetRuntime } from './target-runtime.js';
import { TrafficCounters } from './traffic-counters.js';
import type { TargetHealthView } from './traffic-view.js';

export interface TargetGroupRuntimeOptions {
  now: () => number;
  /** Multiplies every health-check and slow-start duration (1 in production; tests shrink time). */
  timeScale: number;
  onTransition(group: TargetGroupRecord, target: TargetRecord, transition: HealthTransition): void;
  /** A draining target is done (no requests left, or the delay ran out): take it out of the record. */
  onDrained(group: TargetGroupRecord, target: TargetRecord): void;
  /** Whether an instance target's instance is stopped (or stopping): it gets no traffic and shows `unused`. */
  instanceStopped?: (accountId: string, instanceId: string) => boolean;
  /** Runs a probe; tests may count them. */
  probe?: (spec: Parameters<typeof probe>[0]) => Promise<ProbeOutcome>;
}

export class TargetGroupRuntime {
  record: TargetGroupRecord;
  /** Whether a listener or rule of an active load balancer forwards to it. */
  inUse = false;
  readonly targets = new Map<string, TargetRuntime>();
  /** The group's traffic: every request routed to it, its targets' answers and the load balancer's own 5xx. */
  readonly counters: TrafficCounters;
  readonly #options: TargetGroupRuntimeOptions;
  #roundRobin = 0;
  /** routable() as of the last change of targets, health or draining (undefined: to be computed). */
  #routable: TargetRuntime[] | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(record: TargetGroupRecord, options: TargetGroupRuntimeOptions) {
    this.record = record;
    this.#options = options;
    this.counters = new TrafficCounters(options.now);
  }

  /** Makes the runtime match a new version of the record; unaffected targets keep their state and connections. */
  update(record: TargetGroupRecord, inUse: boolean): void {
    this.#routable = undefined;
    const healthChanged = JSON.stringify(record.healthCheck) !== JSON.stringify(this.record.healthCheck);
    const wasInUse = this.inUse;
    this.record = record;
    this.inUse = inUse;
    const wanted = new Set<string>();
    for (const t of record.targets) {
      const key = `${t.id}:${t.port}`;
      wanted.add(key);
      let runtime = this.targets.get(key);
      if (!runtime) {
        runtime = new TargetRuntime(t, this.#options.now);
        this.targets.set(key, runtime);
      } else {
        const reRegistered = runtime.record.registeredAt !== t.registeredAt;
        const ipChanged = runtime.record.ip !== t.ip;
        runtime.record = t;
        if (reRegistered || ipChanged) runtime.resetHealth();
        // New settings: the state stays, probes restart on the new interval (an answer under the old ones is dropped).
        if (reRegistered || ipChanged || healthChanged) {
          runtime.probeEpoch++;
          if (runtime.probeTimer) clearTimeout(runtime.probeTimer);
          runtime.probeTimer = undefined;
        }
      }
    }
    for (const [key, runtime] of this.targets) {
      if (!wanted.has(key)) {
        runtime.close();
        this.targets.delete(key);
      }
    }
    if (!inUse && wasInUse) {
      for (const runtime of this.targets.values()) {
        if (runtime.probeTimer) clearTimeout(runtime.probeTimer);
        runtime.probeTimer = undefined;
        runtime.resetHealth();
      }
    }
    if (inUse && record.healthCheck.enabled) {
      for (const runtime of this.targets.values())
        if (!runtime.probeTimer && !runtime.draining) this.#schedule(runtime, true);
    }
    this.#checkDraining();
  }

  #schedule(target: TargetRuntime, first: boolean): void {
    if (this.#closed) return;
    const h = this.record.healthCheck;
    const intervalMs = h.intervalSeconds * 1000 * this.#options.timeScale;
    // The first check of each target at a random point early in the interval, so checks spread out.
    const delay = first ? Math.random() * Math.min(intervalMs, 2000 * this.#options.timeScale) : intervalMs;
    target.probeTimer = setTimeout(() => void this.#probe(target), delay);
    target.probeTimer.unref();
  }

  async #probe(target: TargetRuntime): Promise<void> {
    const h = this.record.healthCheck;
    if (!this.inUse || !h.enabled || target.draining || this.#closed) {
      target.probeTimer = undefined;
      return;
    }
    this.#schedule(target, false);
    const epoch = target.probeEpoch;
    if (!target.probing) {
      target.probing = true;
      target.reason = 'Elb.InitialHealthChecking';
      target.description = 'Initial health checks in progress';
    }
    const outcome = await (this.#options.probe ?? probe)({
      protocol: h.protocol,
      ip: target.ip,
      port: h.port === 'traffic-port' ? target.port : Number(h.port),
      path: h.path || '/',
      timeoutMs: h.timeoutSeconds * 1000 * this.#options.timeScale,
      matches: h.protocol === 'HTTP' ? parseMatcher(h.matcher, this.record.protocol) : () => true,
    });
    if (epoch !== target.probeEpoch || this.#closed || this.targets.get(target.key) !== target) return;
    const transition = target.observe(outcome, h.healthyThreshold, h.unhealthyThreshold);
    if (!transition) return;
    this.#routable = undefined;
    if (transition.to === 'healthy') this.#startSlowStart(target);
    this.#options.onTransition(this.record, target.record, transition);
  }

  #startSlowStart(target: TargetRuntime): void {
    const seconds = this.record.attributes.slowStartSeconds;
    const othersHealthy = [...this.targets.values()].some(
      (t) => t !== target && t.state === 'healthy' && !t.draining,
    );
    if (seconds <= 0 || !othersHealthy) return;
    const now = this.#options.now();
    target.slowStartFrom = now;
    target.slowStartUntil = now + seconds * 1000 * this.#options.timeScale;
  }

  /** The targets that may get traffic now. */
  routable(): TargetRuntime[] {
    this.#routable ??= this.#computeRoutable();
    return this.#routable;
  }

  /** Forgets routable() after a change outside the record (an instance stopped or started). */
  invalidate(): void {
    this.#routable = undefined;
  }

  #stopped(target: { id: string }): boolean {
    if (this.record.targetType !== 'instance') return false;
    return this.#options.instanceStopped?.(this.record.accountId, target.id) ?? false;
  }

  #computeRoutable(): TargetRuntime[] {
    const live = [...this.targets.values()].filter((t) => !t.draining && !this.#stopped(t.record));
    if (!this.record.healthCheck.enabled) return live;
    const healthy = live.filter((t) => t.state === 'healthy');
    return healthy.length > 0 ? healthy : live;
  }

  /** The target for the next request or connection; undefined when none may get traffic. */
  pick(): TargetRuntime | undefined {
    const candidates = this.routable();
    if (candidates.length === 0) return undefined;
    if (candidates.length === 1) return candidates[0];
    const now = this.#options.now();
    switch (this.record.attributes.algorithm) {
      case 'least_outstanding_requests': {
        let best: TargetRuntime | undefined;
        let bestScore = Number.POSITIVE_INFINITY;
        const offset = this.#roundRobin++ % candidates.length;
        for (let i = 0; i < candidates.length; i++) {
          const t = candidates[(i + offset) % candidates.length] as TargetRuntime;
          const score = (t.inFlight + 1) / t.weight(now);
          if (score < bestScore) {
            best = t;
            bestScore = score;
          }
        }
        return best;
      }
      case 'weighted_random': {
        const weights = candidates.map((t) => t.weight(now));
        let r = Math.random() * weights.reduce((a, b) => a + b, 0);
        for (const [i, w] of weights.entries()) {
          r -= w;
          if (r < 0) return candidates[i];
        }
        return candidates.at(-1);
      }
      default: {
        // Round robin; a target in slow start is passed over in proportion to its weight.
        for (let tries = 0; tries < candidates.length * 4; tries++) {
          const t = candidates[this.#roundRobin++ % candidates.length] as TargetRuntime;
          const w = t.weight(now);
          if (w >= 1 || Math.random() < w) return t;
        }
        return candidates[this.#roundRobin++ % candidates.length];
      }
    }
  }

  /** Called when a request or connection to `target` ends, so draining can finish at once. */
  released(target: TargetRuntime): void {
    if (target.draining && target.inFlight === 0) this.#checkDraining();
  }

  #checkDraining(): void {
    if (this.#drainTimer) clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    let next = Number.POSITIVE_INFINITY;
    const now = this.#options.now();
    for (const t of this.targets.values()) {
      if (!t.draining) continue;
      if (t.probeTimer) clearTimeout(t.probeTimer);
      t.probeTimer = undefined;
      const deadline =
        (t.record.drainingSince ?? now) + this.record.attributes.deregistrationDelaySeconds * 1000;
      if (t.inFlight === 0 || deadline <= now || !this.inUse) {
        for (const s of t.open) s.destroy();
        this.#options.onDrained(this.record, t.record);
      } else {
        next = Math.min(next, deadline);
      }
    }
    if (Number.isFinite(next) && !this.#closed) {
      this.#drainTimer = setTimeout(() => this.#checkDraining(), Math.max(10, next - now));
      this.#drainTimer.unref();
    }
  }

  /** ELBv2's view of one target's health. */
  health(target: TargetRecord): TargetHealthView {
    if (target.drainingSince !== undefined) {
      return {
        state: 'draining',
        reason: 'Target.DeregistrationInProgress',
        description: 'Target deregistration is in progress',
      };
    }
    if (!this.inUse) {
      return {
        state: 'unused',
        reason: 'Target.NotInUse',
        description: 'Target group is not configured to receive traffic from the load balancer',
      };
    }
    if (this.#stopped(target)) {
      return {
        state: 'unused',
        reason: 'Target.InvalidState',
        description: 'Target is in the stopped state',
      };
    }
    if (!this.record.healthCheck.enabled) {
      return {
        state: 'unavailable',
        reason: 'Target.HealthCheckDisabled',
        description: 'Health checks are disabled',
      };
    }
    const runtime = this.targets.get(`${target.id}:${target.port}`);
    if (!runtime || runtime.record.registeredAt !== target.registeredAt) {
      return {
        state: 'initial',
        reason: 'Elb.RegistrationInProgress',
        description: 'Target registration is in progress',
      };
    }
    return { state: runtime.state, reason: runtime.reason, description: runtime.description };
  }

  close(): void {
    this.#closed = true;
    if (this.#drainTimer) clearTimeout(this.#drainTimer);
    for (const t of this.targets.values()) t.close();
    this.targets.clear();
  }
}
