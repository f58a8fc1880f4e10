export { type ComputeConfig, computeConfigSpec } from './compute-config.js';
export { type InstanceStateName, stateCodes } from './domain/instance-states.js';
export {
  defaultInstanceType,
  findInstanceType,
  type InstanceTypeSpec,
  instanceTypes,
} from './domain/instance-types.js';
export { type ComputeModuleOptions, createComputeServiceModule, serviceModule } from './service.js';
export { computeKeys } from './state/compute-keys.js';
