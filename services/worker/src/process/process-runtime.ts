/**
 * The process runtime: each instance is a real process tree on this host.
 *
 * Booting an instance mounts its root volume as a directory (the working
 * directory of all its processes), makes its cgroups (CPU quota = vCPUs,
 * memory limit = the type's memory, pids) where the host allows, opens its
 * metadata endpoint, and spawns its init (see instance-init.ts) in a new
 * session, so the instance is its own process group, with stdout and stderr
 * going straight to its console file. The worker is not in the data path:
 * the instance keeps running, and printing, while the worker restarts.
 *
 * Every step a restarted worker must know of is written to the instance's
 * state file first (see instance-state-file.ts). `recover()` re-adopts the
 * instances whose init is still the same process, and kills every process
 * carrying this worker's NIMBUS_WORKER_ID that belongs to no adopted
 * instance: a worker never runs two copies of one instance.
 *
 * Operations on one instance run one at a time, in call order.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  InstanceExit,
  InstanceLimits,
  InstanceRuntime,
  InstanceUsage,
  ListeningPort,
  ObservationListener,
  ObservedInstance,
} from '../runtime/instance-runtime.js';
import { isUserDataScript } from '../runtime/instance-spec.js';
import type { MetadataEndpoint } from '../runtime/metadata-endpoints.js';
import {
  type CgroupSupport,
  cgroupPids,
  cgroupUsage,
  createInstanceCgroups,
  type InstanceCgroupPaths,
  instanceCgroupIds,
  instanceCgroupPaths,
  probeCgroups,
  procsFiles,
  removeInstanceCgroups,
  removeWorkerCgroups,
} from './cgroups.js';
import { type ConsoleLog, createConsoleLog } from './console-log.js';
import { initArgs } from './instance-init.js';
import { instanceOutcome, type KernelExit } from './instance-outcome.js';
import { createInstanceStateFiles, type InstanceState } from './instance-state-file.js';
import { listeningSockets, portsOf } from './listening-ports.js';
import {
  clockTicksPerSecond,
  isSameProcess,
  listProcesses,
  type ProcStat,
  processesWithEnv,
  readProcStat,
  signal,
} from './proc.js';
import { type ProcessRuntimeOptions, processRuntimeDefaults } from './process-runtime-options.js';
import { endTree } from './process-tree.js';
import { directoryRootVolumes } from './root-volumes.js';

/** The environment variable that marks every process of this worker's instances. */
export const workerIdEnv = 'NIMBUS_WORKER_ID';

interface Tracked {
  state: InstanceState;
  console: ConsoleLog;
  adopted: boolean;
  limits: InstanceLimits;
  /** The init, when this worker process spawned it (a re-adopted one is watched through /proc instead). */
  child?: ChildProcess;
  metadata?: MetadataEndpoint;
  usage?: InstanceUsage;
  listeningPorts: ListeningPort[];
  /** Why the worker could not set the instance up, when that is why it crashed. */
  error?: string;
  lastCpu?: { seconds: number; at: number };
  /** The tail of this instance's operation chain. */
  busy: Promise<void>;
}

export function createProcessRuntime(options: ProcessRuntimeOptions): InstanceRuntime {
  const logger = options.logger;
  const stopGraceMs = options.stopGraceMs ?? processRuntimeDefaults.stopGraceMs;
  const sampleIntervalMs = options.sampleIntervalMs ?? processRuntimeDefaults.sampleIntervalMs;
  const pidsMax = options.pidsMax ?? processRuntimeDefaults.pidsMax;
  const rootVolumes = options.rootVolumes ?? directoryRootVolumes(join(options.home, 'roots'));
  const files = createInstanceStateFiles(join(options.home, 'instances'));
  const tracked = new Map<string, Tracked>();
  const listeners = new Set<ObservationListener>();
  let ticker: NodeJS.Timeout | undefined;
  let closed = false;

  let support: Promise<CgroupSupport> | undefined;
  const cgroupSupport = () => {
    support ??= (async () => {
      const found: CgroupSupport =
        options.cgroups === 'off'
          ? { available: false, reason: 'cgroups are turned off for this worker' }
          : await probeCgroups(`nimbus-${options.workerId}`, options.cgroupRoot);
      if (found.available) logger.info('instance CPU, memory and pids limits enforced through cgroups v1');
      else logger.warn({ reason: found.reason }, 'instance CPU and memory limits are NOT enforced');
      return found;
    })();
    return support;
  };

  const observedOf = (t: Tracked): ObservedInstance => {
    const s = t.state;
    return {
      instanceId: s.spec.instanceId,
      phase: s.phase,
      ...(s.pid !== undefined && (s.phase === 'running' || s.phase === 'stopping') ? { pid: s.pid } : {}),
      bootCount: s.bootCount,
      ...(s.bootedAt ? { bootedAt: s.bootedAt } : {}),
      ...(s.exit ? { exit: s.exit } : {}),
      ...(t.usage ? { usage: t.usage } : {}),
      limits: t.limits,
      ...(t.metadata ? { metadataEndpoint: t.metadata.url } : {}),
      adopted: t.adopted,
      listeningPorts: t.listeningPorts,
      ...(t.error && s.phase === 'crashed' ? { error: t.error } : {}),
    };
  };

  const emit = (t: Tracked) => {
    const observed = observedOf(t);
    for (const listener of listeners) {
      try {
        listener(observed);
      } catch (error) {
        logger.error({ err: error }, 'observation listener failed');
      }
    }
  };

  const persist = (t: Tracked) => files.write(t.state);

  const serial = (t: Tracked, step: () => Promise<void>): Promise<void> => {
    const run = t.busy.then(step);
    t.busy = run.catch(() => {});
    return run;
  };

  const newTracked = (state: InstanceState, adopted: boolean): Tracked => ({
    state,
    console: createConsoleLog(files.dirOf(state.spec.instanceId), options.consoleSegmentBytes),
    adopted,
    limits: { enforced: false, reason: 'not started yet' },
    listeningPorts: [],
    busy: Promise.resolve(),
  });

  const limitsOf = async (): Promise<InstanceLimits> => {
    const found = await cgroupSupport();
    return found.available ? { enforced: true } : { enforced: false, reason: found.reason ?? 'unknown' };
  };

  const exitFileOf = (t: Tracked) => join(files.dirOf(t.state.spec.instanceId), 'exit-status');

  const readExit = (t: Tracked, fallback?: KernelExit) => instanceOutcome(exitFileOf(t), fallback);

  const removeCgroupsPatiently = async (paths: InstanceCgroupPaths) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await removeInstanceCgroups(paths);
        return;
      } catch (error) {
        // A group is busy for a moment after its last process exits.
        if (attempt >= 40) throw error;
        await sleep(25);
      }
    }
  };

  /** Closes the metadata endpoint, unmounts the root (which ends its IOPS throttle) and removes the cgroups: nothing of the instance runs. */
  const release = async (t: Tracked) => {
    await t.metadata?.close();
    t.metadata = undefined;
    delete t.state.metadataPort;
    if (t.state.root) {
      await rootVolumes.unmount(t.state.spec.instanceId, t.state.root);
      delete t.state.root;
    }
    if (t.state.cgroups) {
      await removeCgroupsPatiently(t.state.cgroups);
      delete t.state.cgroups;
    }
  };

  const mountContextOf = (t: Tracked) => (t.state.cgroups ? { blkioCgroup: t.state.cgroups.blkio } : {});

  const treeOf = (t: Tracked) => ({
    ...(t.state.pid !== undefined ? { pgid: t.state.pid } : {}),
    ...(t.state.cgroups ? { cgroups: t.state.cgroups } : {}),
  });

  /** Ends what runs of the instance (its init is already gone, or going). */
  const endProcesses = async (t: Tracked, graceMs: number) => {
    if (t.state.pid === undefined) return;
    t.child = undefined;
    await endTree(treeOf(t), graceMs);
  };

  const environmentOf = (t: Tracked, root: string): NodeJS.ProcessEnv => {
    const spec = t.state.spec;
    return {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: root,
      LANG: 'C.UTF-8',
      NIMBUS_INSTANCE_ID: spec.instanceId,
      NIMBUS_PRIVATE_IP: spec.privateIp,
      NIMBUS_AVAILABILITY_ZONE: spec.availabilityZone,
      ...(t.metadata ? { AWS_EC2_METADATA_SERVICE_ENDPOINT: t.metadata.url } : {}),
      [workerIdEnv]: options.workerId,
    };
  };

  const onInitExit = (t: Tracked, child: ChildProcess, code: number | null, sig: NodeJS.Signals | null) => {
    void serial(t, async () => {
      // A stop or reboot ends the init on purpose and clears `child` first; this exit is then theirs.
      if (t.child !== child) return;
      await instanceEnded(t, await readExit(t, { code, signal: sig }));
    }).catch((error: unknown) =>
      logger.error({ err: error, instanceId: t.state.spec.instanceId }, 'exit handling failed'),
    );
  };

  /** The boot process ended by itself: end the rest of the tree and report how. */
  const instanceEnded = async (t: Tracked, outcome: { phase: 'exited' | 'crashed'; exit: InstanceExit }) => {
    await endProcesses(t, stopGraceMs);
    t.state.phase = outcome.phase;
    t.state.exit = outcome.exit;
    delete t.state.pid;
    delete t.state.startTime;
    t.usage = undefined;
    t.listeningPorts = [];
    await release(t);
    await persist(t);
    await t.console.note(`instance ${t.state.spec.instanceId} ended: ${outcome.exit.reason}`);
    logger.info({ instanceId: t.state.spec.instanceId, ...outcome.exit }, `instance ${outcome.phase}`);
    emit(t);
  };

  /** Spawns the init; the root, cgroups and metadata endpoint are in place. */
  const spawnInit = async (t: Tracked) => {
    const spec = t.state.spec;
    const root = t.state.root;
    if (!root) throw new Error('no root volume');
    let userDataFile = '';
    if (isUserDataScript(spec.userData)) {
      userDataFile = join(files.dirOf(spec.instanceId), 'user-data');
      await writeFile(userDataFile, spec.userData, { mode: 0o700 });
    }
    t.state.bootCount += 1;
    await t.console.note(`booting ${spec.instanceId} (boot ${t.state.bootCount})`);
    const fd = t.console.openForWriting();
    let child: ChildProcess;
    try {
      child = spawn(
        '/bin/sh',
        initArgs(
          exitFileOf(t),
          spec.bootCommand,
          userDataFile,
          t.state.cgroups ? procsFiles(t.state.cgroups) : [],
        ),
        { cwd: root.path, env: environmentOf(t, root.path), detached: true, stdio: ['ignore', fd, fd] },
      );
    } finally {
      closeSync(fd);
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error('spawn gave no pid');
    t.child = child;
    child.on('exit', (code, sig) => onInitExit(t, child, code, sig));
    child.unref();
    const stat = await readProcStat(pid);
    t.state.pid = pid;
    // If the init is already gone, its exit event follows and reports it; the start time is then moot.
    t.state.startTime = stat?.startTime ?? -1;
    t.state.bootedAt = new Date();
    t.state.phase = 'running';
    delete t.state.exit;
    t.lastCpu = undefined;
    t.usage = undefined;
    await persist(t);
    emit(t);
  };

  /** A full boot: root, limits, metadata endpoint, then the init. Failures end in `crashed` with the reason. */
  const boot = async (t: Tracked) => {
    const spec = t.state.spec;
    t.state.phase = 'starting';
    delete t.state.exit;
    t.error = undefined;
    await persist(t);
    emit(t);
    try {
      t.limits = await limitsOf();
      const found = await cgroupSupport();
      const limitsAndRoot = async () => {
        if (found.available && found.parents && !t.state.cgroups) {
          t.state.cgroups = await createInstanceCgroups(found.parents, spec.instanceId, {
            vcpus: spec.vcpus,
            memoryMiB: spec.memoryMiB,
            pidsMax,
          });
        }
        if (!t.state.root) {
          // Where it will be mounted is written down first, so a worker that dies midway unmounts it at its next start.
          t.state.root = await rootVolumes.plan(spec.instanceId, spec.rootVolume);
          await persist(t);
          t.state.root = await rootVolumes.mount(spec.instanceId, spec.rootVolume, mountContextOf(t));
        }
      };
      const metadataEndpoint = async () => {
        if (options.metadata && spec.metadataOptions.httpEndpoint === 'enabled' && !t.metadata) {
          t.metadata = await options.metadata.open(spec, t.state.metadataPort);
          t.state.metadataPort = t.metadata.port;
        }
      };
      await Promise.all([limitsAndRoot(), metadataEndpoint()]);
      await persist(t);
      await spawnInit(t);
    } catch (error) {
      const reason = `the instance could not boot: ${(error as Error).message}`;
      logger.error({ err: error, instanceId: spec.instanceId }, 'boot failed');
      t.error = reason;
      t.state.phase = 'crashed';
      t.state.exit = { reason, at: new Date() };
      await endProcesses(t, 0).catch(() => {});
      delete t.state.pid;
      await release(t).catch(() => {});
      await persist(t);
      await t.console.note(reason).catch(() => {});
      emit(t);
    }
  };

  const stopNow = async (t: Tracked, graceMs: number) => {
    if (t.state.phase === 'running' || t.state.phase === 'starting' || t.state.phase === 'stopping') {
      t.state.phase = 'stopping';
      await persist(t);
      emit(t);
      await endProcesses(t, graceMs);
      await t.console.note(`instance ${t.state.spec.instanceId} stopped`);
    }
    delete t.state.pid;
    delete t.state.startTime;
    t.usage = undefined;
    t.listeningPorts = [];
    await release(t);
    t.state.phase = 'stopped';
    await persist(t);
    emit(t);
  };

  const get = (instanceId: string) => {
    const t = tracked.get(instanceId);
    if (!t) throw new Error(`instance ${instanceId} is not on this worker`);
    return t;
  };

  /** One pass over /proc and the socket tables per tick, shared by every instance (not one per instance). */
  const sample = async () => {
    const running = [...tracked.values()].filter(
      (t) => t.state.phase === 'running' && t.state.pid !== undefined,
    );
    if (running.length === 0) return;
    const sockets = await listeningSockets();
    const groups = new Map<number, ProcStat[]>();
    for (const p of await listProcesses()) {
      const members = groups.get(p.pgid);
      if (members) members.push(p);
      else groups.set(p.pgid, [p]);
    }
    for (const t of running) {
      const pid = t.state.pid as number;
      const leader = groups.get(pid)?.find((p) => p.pid === pid);
      if (!t.child && leader?.startTime !== t.state.startTime) {
        // A re-adopted init is not our child: its end shows only here.
        const candidate = t;
        void serial(candidate, async () => {
          if (candidate.state.pid !== pid || candidate.child || candidate.state.phase !== 'running') return;
          if (await isSameProcess(pid, candidate.state.startTime ?? -1)) return;
          await instanceEnded(candidate, await readExit(candidate));
        }).catch((error: unknown) => logger.error({ err: error }, 'exit handling failed'));
        continue;
      }
      const members = groups.get(pid) ?? [];
      const pids = new Set(members.map((p) => p.pid));
      if (t.state.cgroups) for (const other of await cgroupPids(t.state.cgroups)) pids.add(other);
      let cpuSeconds: number;
      let memoryBytes: number;
      const fromCgroups = t.state.cgroups ? await cgroupUsage(t.state.cgroups) : undefined;
      if (fromCgroups) {
        cpuSeconds = fromCgroups.cpuNanoseconds / 1e9;
        memoryBytes = fromCgroups.memoryBytes;
      } else {
        cpuSeconds = members.reduce((sum, p) => sum + p.cpuTicks, 0) / clockTicksPerSecond;
        memoryBytes = members.reduce((sum, p) => sum + p.rssBytes, 0);
      }
      const now = Date.now();
      const last = t.lastCpu;
      const cpuPercent =
        last && now > last.at
          ? Math.max(0, ((cpuSeconds - last.seconds) / ((now - last.at) / 1000)) * 100)
          : 0;
      t.lastCpu = { seconds: cpuSeconds, at: now };
      t.usage = { cpuSeconds, cpuPercent, memoryBytes, sampledAt: new Date(now) };
      t.listeningPorts = await portsOf([...pids], sockets);
      await t.console.trim();
      emit(t);
    }
  };

  const startTicker = () => {
    if (ticker || closed) return;
    let sampling = false;
    ticker = setInterval(() => {
      if (sampling) return;
      sampling = true;
      sample()
        .catch((error: unknown) => logger.error({ err: error }, 'sampling failed'))
        .finally(() => {
          sampling = false;
        });
    }, sampleIntervalMs);
    ticker.unref();
  };

  const adopt = async (state: InstanceState): Promise<Tracked> => {
    const t = newTracked(state, true);
    tracked.set(state.spec.instanceId, t);
    t.limits = state.cgroups ? { enforced: true } : await limitsOf();
    const alive =
      state.pid !== undefined &&
      state.startTime !== undefined &&
      (await isSameProcess(state.pid, state.startTime));
    if (alive) {
      state.phase = 'running';
      if (state.root) {
        // Idempotent: finds the volume still mounted, and enforces its IOPS again.
        try {
          state.root = await rootVolumes.mount(
            state.spec.instanceId,
            state.spec.rootVolume,
            mountContextOf(t),
          );
        } catch (error) {
          // Its file may be gone (deleted while mounted): the mount the instance runs in stays as it is.
          logger.warn(
            { err: error, instanceId: state.spec.instanceId },
            "cannot check a re-adopted instance's root volume",
          );
        }
      }
      if (options.metadata && state.spec.metadataOptions.httpEndpoint === 'enabled') {
        try {
          t.metadata = await options.metadata.open(state.spec, state.metadataPort);
        } catch (error) {
          logger.error(
            { err: error, instanceId: state.spec.instanceId, port: state.metadataPort },
            "cannot serve a re-adopted instance's metadata on its port",
          );
        }
      }
      logger.info({ instanceId: state.spec.instanceId, pid: state.pid }, 're-adopted a running instance');
    } else if (state.phase === 'running' || state.phase === 'starting' || state.phase === 'stopping') {
      // Nothing of it runs now (the sweep below ends any straggler): say how it ended.
      const wasStopping = state.phase === 'stopping';
      const outcome = state.pid === undefined || wasStopping ? undefined : await readExit(t);
      if (state.cgroups) await endTree({ cgroups: state.cgroups }, 0).catch(() => {});
      delete state.pid;
      delete state.startTime;
      await release(t);
      if (outcome) {
        state.phase = outcome.phase;
        state.exit = outcome.exit;
      } else {
        state.phase = 'stopped';
      }
      logger.info(
        { instanceId: state.spec.instanceId, phase: state.phase },
        'an instance ended while the worker was away',
      );
    }
    await persist(t);
    return t;
  };

  /** Kills every process marked with this worker's id that belongs to no re-adopted instance. */
  const sweepLeftovers = async () => {
    const keepGroups = new Set<number>();
    for (const t of tracked.values())
      if (t.state.phase === 'running' && t.state.pid) keepGroups.add(t.state.pid);
    const leftovers = (await processesWithEnv(workerIdEnv, options.workerId)).filter(
      (p) => !keepGroups.has(p.pgid),
    );
    if (leftovers.length > 0) {
      logger.warn({ pids: leftovers.map((p) => p.pid) }, 'killing instance processes that no instance owns');
      for (const p of leftovers) signal(p.pid, 'SIGKILL');
    }
    // Groups of instances with no record (their start was never written down): empty them and remove them.
    const found = await cgroupSupport();
    if (!found.parents) return;
    for (const instanceId of await instanceCgroupIds(found.parents)) {
      if (tracked.get(instanceId)?.state.cgroups) continue;
      const paths = instanceCgroupPaths(found.parents, instanceId);
      await endTree({ cgroups: paths }, 0).catch(() => {});
      await removeCgroupsPatiently(paths).catch((error: unknown) =>
        logger.warn({ err: error, instanceId }, 'cannot remove a leftover cgroup'),
      );
    }
  };

  return {
    kind: 'process',

    async recover() {
      await cgroupSupport();
      for (const state of await files.readAll()) {
        if (!tracked.has(state.spec.instanceId)) await adopt(state);
      }
      await sweepLeftovers();
      startTicker();
      const observed = [...tracked.values()].map(observedOf);
      for (const t of tracked.values()) emit(t);
      return observed;
    },

    start(spec) {
      startTicker();
      let t = tracked.get(spec.instanceId);
      if (!t) {
        t = newTracked({ spec, phase: 'stopped', bootCount: 0 }, false);
        tracked.set(spec.instanceId, t);
      }
      const target = t;
      return serial(target, async () => {
        target.state.spec = spec;
        if (target.state.phase === 'running' || target.state.phase === 'starting') {
          target.metadata?.update(spec);
          await persist(target);
          return;
        }
        await boot(target);
      });
    },

    reboot(instanceId, stopOptions = {}) {
      const t = get(instanceId);
      return serial(t, async () => {
        if (t.state.phase !== 'running') {
          if (t.state.phase !== 'starting') await boot(t);
          return;
        }
        t.state.phase = 'starting';
        await persist(t);
        emit(t);
        await endProcesses(t, stopOptions.graceMs ?? stopGraceMs);
        await t.console.note(`rebooting ${instanceId}`);
        try {
          await spawnInit(t);
        } catch (error) {
          await instanceEnded(t, {
            phase: 'crashed',
            exit: { reason: `the instance could not boot: ${(error as Error).message}`, at: new Date() },
          });
        }
      });
    },

    stop(instanceId, stopOptions = {}) {
      const t = tracked.get(instanceId);
      if (!t) return Promise.resolve();
      return serial(t, () => stopNow(t, stopOptions.graceMs ?? stopGraceMs));
    },

    remove(instanceId, stopOptions = {}) {
      const t = tracked.get(instanceId);
      if (!t) return Promise.resolve();
      return serial(t, async () => {
        await stopNow(t, stopOptions.graceMs ?? stopGraceMs);
        await rootVolumes.discard(instanceId, t.state.spec.rootVolume);
        await files.remove(instanceId);
        tracked.delete(instanceId);
      });
    },

    observe() {
      return [...tracked.values()].map(observedOf);
    },

    observeInstance(instanceId) {
      const t = tracked.get(instanceId);
      return t && observedOf(t);
    },

    async consoleOutput(instanceId, maxBytes) {
      const t = tracked.get(instanceId);
      return t ? t.console.tail(maxBytes) : '';
    },

    async consoleSince(instanceId, cursor, maxBytes) {
      const t = tracked.get(instanceId);
      if (!t) return { bytes: new Uint8Array(), cursor: 0, reset: true };
      return t.console.since(cursor, maxBytes);
    },

    hostLimits() {
      return limitsOf();
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close(closeOptions = {}) {
      closed = true;
      if (ticker) clearInterval(ticker);
      ticker = undefined;
      await Promise.all(
        [...tracked.values()].map((t) =>
          serial(t, async () => {
            if (closeOptions.keepInstances) {
              await t.metadata?.close();
              t.metadata = undefined;
              t.child = undefined;
            } else {
              await stopNow(t, stopGraceMs);
            }
          }).catch((error: unknown) => logger.error({ err: error }, 'closing an instance failed')),
        ),
      );
      await rootVolumes.close?.();
      const found = support && (await support);
      if (found?.parents) await removeWorkerCgroups(found.parents);
    },
  };
}
