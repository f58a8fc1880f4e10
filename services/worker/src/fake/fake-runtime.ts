/**
 * The fake runtime: instances without processes, for scale tests with
 * thousands of instances. An instance is `starting` for the boot delay, then
 * `running`; reboot, stop and remove act at once. Known differences from the
 * process runtime:
 * - nothing runs: no boot command, no user data, no metadata endpoint, no
 *   limits (reported as not enforced), usage is always zero;
 * - the console holds only the lines the runtime itself writes;
 * - nothing survives the worker process: `recover()` finds nothing, and
 *   `close({ keepInstances: true })` just forgets;
 * - exits and crashes happen only when a test calls `exit()`.
 */
import type {
  InstanceExit,
  InstancePhase,
  InstanceRuntime,
  ObservationListener,
  ObservedInstance,
} from '../runtime/instance-runtime.js';
import type { InstanceSpec } from '../runtime/instance-spec.js';

export interface FakeRuntimeOptions {
  /** How long an instance stays `starting` before `running`, ms. Default 0. */
  bootDelayMs?: number;
}

export interface FakeRuntime extends InstanceRuntime {
  /** Makes an instance's boot process end as if by itself: status 0 is a shutdown, anything else a crash. */
  exit(instanceId: string, status: number): void;
}

interface FakeInstance {
  spec: InstanceSpec;
  phase: InstancePhase;
  bootCount: number;
  bootedAt?: Date;
  exit?: InstanceExit;
  console: string[];
  timer?: NodeJS.Timeout;
}

const notEnforced = { enforced: false, reason: 'the fake runtime runs no processes' };

export function createFakeRuntime(options: FakeRuntimeOptions = {}): FakeRuntime {
  const bootDelayMs = options.bootDelayMs ?? 0;
  const instances = new Map<string, FakeInstance>();
  const listeners = new Set<ObservationListener>();

  const observedOf = (i: FakeInstance): ObservedInstance => ({
    instanceId: i.spec.instanceId,
    phase: i.phase,
    bootCount: i.bootCount,
    ...(i.bootedAt ? { bootedAt: i.bootedAt } : {}),
    ...(i.exit ? { exit: i.exit } : {}),
    ...(i.phase === 'running'
      ? { usage: { cpuSeconds: 0, cpuPercent: 0, memoryBytes: 0, sampledAt: new Date() } }
      : {}),
    limits: notEnforced,
    adopted: false,
    listeningPorts: [],
  });

  const set = (i: FakeInstance, phase: InstancePhase) => {
    i.phase = phase;
    const observed = observedOf(i);
    for (const listener of listeners) listener(observed);
  };

  const boot = (i: FakeInstance) => {
    clearTimeout(i.timer);
    i.bootCount += 1;
    i.bootedAt = new Date();
    delete i.exit;
    i.console.push(`[nimbus] booting ${i.spec.instanceId} (boot ${i.bootCount})`);
    set(i, 'starting');
    const running = () => {
      i.timer = undefined;
      if (i.phase === 'starting') set(i, 'running');
    };
    if (bootDelayMs <= 0) running();
    else {
      i.timer = setTimeout(running, bootDelayMs);
      i.timer.unref();
    }
  };

  const halt = (i: FakeInstance) => {
    clearTimeout(i.timer);
    i.timer = undefined;
  };

  return {
    kind: 'fake',
    async recover() {
      return [];
    },
    async start(spec) {
      const known = instances.get(spec.instanceId);
      if (known) {
        known.spec = spec;
        if (known.phase === 'running' || known.phase === 'starting') return;
        boot(known);
        return;
      }
      const created: FakeInstance = { spec, phase: 'stopped', bootCount: 0, console: [] };
      instances.set(spec.instanceId, created);
      boot(created);
    },
    async reboot(instanceId) {
      const i = instances.get(instanceId);
      if (!i) throw new Error(`instance ${instanceId} is not on this worker`);
      if (i.phase === 'starting') return;
      halt(i);
      boot(i);
    },
    async stop(instanceId) {
      const i = instances.get(instanceId);
      if (!i || i.phase === 'stopped') return;
      halt(i);
      i.console.push(`[nimbus] instance ${instanceId} stopped`);
      set(i, 'stopped');
    },
    async remove(instanceId) {
      const i = instances.get(instanceId);
      if (!i) return;
      halt(i);
      if (i.phase !== 'stopped') set(i, 'stopped');
      instances.delete(instanceId);
    },
    observe() {
      return [...instances.values()].map(observedOf);
    },
    observeInstance(instanceId) {
      const i = instances.get(instanceId);
      return i && observedOf(i);
    },
    async consoleOutput(instanceId, maxBytes = 64 * 1024) {
      const text =
        instances
          .get(instanceId)
          ?.console.map((line) => `${line}\n`)
          .join('') ?? '';
      return text.slice(Math.max(0, text.length - maxBytes));
    },
    async consoleSince(instanceId, cursor, maxBytes = 64 * 1024) {
      const bytes = Buffer.from(
        instances
          .get(instanceId)
          ?.console.map((line) => `${line}\n`)
          .join('') ?? '',
      );
      if (cursor === undefined || cursor > bytes.length || bytes.length - cursor > maxBytes) {
        return {
          bytes: bytes.subarray(Math.max(0, bytes.length - maxBytes)),
          cursor: bytes.length,
          reset: true,
        };
      }
      return { bytes: bytes.subarray(cursor), cursor: bytes.length, reset: false };
    },
    async hostLimits() {
      return notEnforced;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      for (const i of instances.values()) halt(i);
      instances.clear();
    },
    exit(instanceId, status) {
      const i = instances.get(instanceId);
      if (!i || (i.phase !== 'running' && i.phase !== 'starting')) return;
      halt(i);
      i.exit =
        status === 0
          ? { code: 0, reason: 'the boot process exited', at: new Date() }
          : { code: status, reason: `the boot process exited with status ${status}`, at: new Date() };
      set(i, status === 0 ? 'exited' : 'crashed');
    },
  };
}
