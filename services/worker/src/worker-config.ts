/**
 * The worker agent's settings, each with its environment variable and
 * default; read once at start, every problem reported at once. Capacity
 * defaults to the host's (CPUs and memory); the region starts one worker per
 * zone and names it `worker-<zone>`.
 */
import { availableParallelism, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, type ConfigOf, type ConfigProblem, type ConfigSpec, readConfig } from '@nimbus/runtime';

export const workerConfigSpec = {
  zone: {
    env: 'NIMBUS_ZONE',
    required: true,
    description: 'the availability zone this worker serves, one of the region zones (the region sets it)',
  },
  region: { env: 'NIMBUS_REGION', default: 'nimbus-1', description: 'the region name' },
  runtime: {
    env: 'NIMBUS_WORKER_RUNTIME',
    default: 'process',
    description: 'process (instances are real process trees) or fake (no processes, for scale tests)',
  },
  vcpus: {
    env: 'NIMBUS_WORKER_VCPUS',
    parse: 'int',
    description: "vCPUs offered to instances (default: the host's CPUs)",
  },
  memoryMiB: {
    env: 'NIMBUS_WORKER_MEMORY_MIB',
    parse: 'int',
    description: "memory offered to instances, MiB (default: the host's memory)",
  },
  home: {
    env: 'NIMBUS_WORKER_HOME',
    description:
      "the worker's own directory: instance state, consoles, roots (default: <NIMBUS_HOME>/workers/<name>)",
  },
  nimbusHome: { env: 'NIMBUS_HOME', default: '.nimbus', description: 'where the region keeps its state' },
  fakeBootDelayMs: {
    env: 'NIMBUS_WORKER_FAKE_BOOT_DELAY',
    parse: 'duration',
    default: 0,
    description: 'with the fake runtime: how long an instance takes to boot, e.g. 500ms',
  },
  sampleIntervalMs: {
    env: 'NIMBUS_WORKER_SAMPLE_INTERVAL',
    parse: 'duration',
    default: 5_000,
    description: 'how often instance CPU, memory and listening ports are sampled',
  },
  stopGraceMs: {
    env: 'NIMBUS_WORKER_STOP_GRACE',
    parse: 'duration',
    default: 10_000,
    description: 'SIGTERM to SIGKILL when the worker itself stops instances (compute names its own per stop)',
  },
  cgroups: {
    env: 'NIMBUS_WORKER_CGROUPS',
    default: 'auto',
    description: 'auto (limit instances through cgroups v1 when the host allows) or off',
  },
  keepInstances: {
    env: 'NIMBUS_WORKER_KEEP_INSTANCES',
    parse: 'bool',
    default: false,
    description:
      'on shutdown leave instances running for the next worker start to re-adopt (default: stop them, leaving nothing behind)',
  },
  accountId: {
    env: 'NIMBUS_WORKER_ACCOUNT',
    default: '000000000000',
    description:
      "the account the worker's stream to compute acts for (calls with the service token name one)",
  },
} satisfies ConfigSpec;

export interface WorkerConfig
  extends Omit<ConfigOf<typeof workerConfigSpec>, 'runtime' | 'cgroups' | 'home' | 'vcpus' | 'memoryMiB'> {
  runtime: 'process' | 'fake';
  cgroups: 'auto' | 'off';
  home: string;
  vcpus: number;
  memoryMiB: number;
}

export function readWorkerConfig(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): WorkerConfig {
  const problems: ConfigProblem[] = [];
  let config: ConfigOf<typeof workerConfigSpec> | undefined;
  try {
    config = readConfig(workerConfigSpec, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const choice = (key: 'runtime' | 'cgroups', allowed: readonly string[]) => {
    const variable = workerConfigSpec[key];
    const value = env[variable.env] || variable.default;
    if (!allowed.includes(value)) {
      problems.push({ env: variable.env, problem: `is '${value}'`, description: variable.description });
    }
  };
  choice('runtime', ['process', 'fake']);
  choice('cgroups', ['auto', 'off']);
  for (const key of ['vcpus', 'memoryMiB'] as const) {
    // Checked on the text, so that it is reported beside any other problem.
    const variable = workerConfigSpec[key];
    const text = env[variable.env]?.trim();
    if (text && /^[-+]?\d+$/.test(text) && Number(text) <= 0) {
      problems.push({
        env: variable.env,
        problem: `is ${text}, not positive`,
        description: variable.description,
      });
    }
  }
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return {
    ...config,
    runtime: config.runtime as 'process' | 'fake',
    cgroups: config.cgroups as 'auto' | 'off',
    home: resolve(config.home ?? join(config.nimbusHome, 'workers', name)),
    vcpus: config.vcpus ?? availableParallelism(),
    memoryMiB: config.memoryMiB ?? Math.floor(totalmem() / (1024 * 1024)),
  };
}
