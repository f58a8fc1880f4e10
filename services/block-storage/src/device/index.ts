/**
 * The volume device library workers use on the storage host: a volume file
 * as a loop device mounted into an instance, its leftovers found and cleaned
 * up, and its IOPS enforced with the cgroup v1 blkio throttle. Needs root,
 * loop devices and blkio; without them the calls fail with
 * DeviceFacilityMissingError naming what is missing.
 */

export {
  addProcessToCgroup,
  createBlkioCgroup,
  readServicedIos,
  removeBlkioCgroup,
  writeBpsLimit,
  writeIopsLimit,
} from './blkio-cgroup.js';
export {
  type CreditRecord,
  creditFileOf,
  creditsAt,
  readCreditFile,
} from './burst-credits.js';
export { DeviceCommandError, type DeviceFacility, DeviceFacilityMissingError } from './device-errors.js';
export {
  type DeviceFacilities,
  detectDeviceFacilities,
  findBlkioRoot,
  requireDeviceFacilities,
} from './host-facilities.js';
export { createIopsLimiter, type IopsLimiter, type IopsLimiterOptions } from './iops-limiter.js';
export {
  gp2BucketCredits,
  gp2BurstIops,
  type IopsPolicy,
  iopsPolicyOf,
  type VolumePerformance,
} from './iops-policy.js';
export {
  type AttachOptions,
  attachLoopDevice,
  type DeviceNumber,
  detachLoopDevice,
  deviceNumberOf,
  formatDeviceNumber,
  type LoopDevice,
  loopDevicesOf,
} from './loop-device.js';
export { type MountOptions, mountDevice, mountPointsOf, unmountDirectory } from './mounts.js';
export {
  type AttachedVolume,
  type AttachVolumeOptions,
  attachVolumeFile,
  releaseVolumeFile,
} from './volume-device.js';
