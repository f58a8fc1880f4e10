// The @nimbus/worker package's public surface.

export { type ActedStore, openActedStore } from './agent/acted-generations.js';
export { specOf } from './agent/desired-spec.js';
export { createWorkerAgent, type WorkerAgent, type WorkerAgentOptions } from './agent/worker-agent.js';
export { createFakeRuntime, type FakeRuntime, type FakeRuntimeOptions } from './fake/fake-runtime.js';
export { createMetadataService, type MetadataServiceOptions } from './imds/metadata-service.js';
export { createMetadataTokens, loadTokenKey, type MetadataTokens } from './imds/metadata-tokens.js';
export {
  type CgroupSupport,
  cgroupControllers,
  probeCgroups,
} from './process/cgroups.js';
export { deviceRootVolumes } from './process/device-root-volumes.js';
export { createProcessRuntime, workerIdEnv } from './process/process-runtime.js';
export { type ProcessRuntimeOptions, processRuntimeDefaults } from './process/process-runtime-options.js';
export {
  directoryRootVolumes,
  type MountContext,
  type MountedRoot,
  type RootVolumes,
} from './process/root-volumes.js';
export type {
  InstanceExit,
  InstanceLimits,
  InstancePhase,
  InstanceRuntime,
  InstanceUsage,
  ObservationListener,
  ObservedInstance,
} from './runtime/instance-runtime.js';
export {
  defaultMetadataOptions,
  type InstanceSpec,
  isUserDataScript,
  type MetadataOptions,
  type RootVolumeRef,
} from './runtime/instance-spec.js';
export type { MetadataEndpoint, MetadataEndpoints } from './runtime/metadata-endpoints.js';
export { createWorkerServiceModule, serviceModule, workerVersion } from './service.js';
export { readWorkerConfig, type WorkerConfig, workerConfigSpec } from './worker-config.js';
