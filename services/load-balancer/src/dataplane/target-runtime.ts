/**
 * One target as the data plane holds it: its health (ELBv2's state machine
 * over consecutive probe outcomes), its requests and connections in flight,
 * slow start, draining, its keep-alive pool and its traffic counters.
 */
import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import type { TargetRecord } from '../state/records.js';
import type { ProbeOutcome } from './health-probe.js';
import { TrafficCounters } from './traffic-counters.js';

export type HealthState = 'initial' | 'healthy' | 'unhealthy';

export interface HealthTransition {
  from: HealthState;
  to: HealthState;
  reason: string;
  description: string;
}

export class TargetRuntime {
  readonly key: string;
  record: TargetRecord;
  state: HealthState = 'initial';
  /** Set once the first probe was sent. */
  probing = false;
  reason = 'Elb.RegistrationInProgress';
  description = 'Target registration is in progress';
  #successes = 0;
  #failures = 0;
  /** When slow start ends (epoch ms); 0 when it does not apply. */
  slowStartUntil = 0;
  slowStartFrom = 0;
  /** HTTP requests and TCP connections in flight to this target. */
  inFlight = 0;
  /** What to destroy when the deregistration delay runs out. */
  readonly open = new Set<Socket | { destroy(): void }>();
  readonly counters: TrafficCounters;
  readonly agent: Agent;
  probeTimer: NodeJS.Timeout | undefined;
  /** Bumped to drop the outcome of a probe sent under earlier settings. */
  probeEpoch = 0;

  constructor(record: TargetRecord, now: () => number) {
    this.key = `${record.id}:${record.port}`;
    this.record = record;
    this.counters = new TrafficCounters(now);
    this.agent = new Agent({
      keepAlive: true,
      keepAliveMsecs: 1000,
      maxFreeSockets: 256,
      scheduling: 'lifo',
    });
  }

  get ip(): string {
    return this.record.ip;
  }

  get port(): number {
    return this.record.port;
  }

  get draining(): boolean {
    return this.record.drainingSince !== undefined;
  }

  /** Folds one probe outcome in; a transition when the state changes. */
  observe(
    outcome: ProbeOutcome,
    healthyThreshold: number,
    unhealthyThreshold: number,
  ): HealthTransition | undefined {
    const from = this.state;
    if (outcome.ok) {
      this.#successes++;
      this.#failures = 0;
      if (this.state !== 'healthy' && this.#successes >= healthyThreshold) {
        this.state = 'healthy';
        this.reason = '';
        this.description = '';
      }
    } else {
      this.#failures++;
      this.#successes = 0;
      if (this.state !== 'unhealthy' && this.#failures >= unhealthyThreshold) this.state = 'unhealthy';
      if (this.state === 'unhealthy') {
        this.reason = outcome.reason;
        this.description = outcome.description;
      }
    }
    if (this.state === 'initial') {
      this.reason = 'Elb.InitialHealthChecking';
      this.description = 'Initial health checks in progress';
    }
    return from === this.state
      ? undefined
      : { from, to: this.state, reason: this.reason, description: this.description };
  }

  /** Back to `initial`, as after a change of health check settings or a restart. */
  resetHealth(): void {
    this.state = 'initial';
    this.probing = false;
    this.reason = 'Elb.RegistrationInProgress';
    this.description = 'Target registration is in progress';
    this.#successes = 0;
    this.#failures = 0;
    this.probeEpoch++;
  }

  /** The share of traffic it takes now: below 1 during slow start. */
  weight(now: number): number {
    if (this.slowStartUntil <= now) return 1;
    const span = this.slowStartUntil - this.slowStartFrom;
    return Math.max(0.02, (now - this.slowStartFrom) / span);
  }

  close(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    for (const s of this.open) s.destroy();
    this.open.clear();
    this.agent.destroy();
  }
}
