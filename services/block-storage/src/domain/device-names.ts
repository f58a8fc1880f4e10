/**
 * EC2's device names for EBS volumes on Linux instances: data volumes at
 * /dev/sd[f-p] (or their /dev/xvd[f-p] form), the root volume at /dev/xvda
 * (or /dev/sda1).
 */
import { invalidParameterValue } from './storage-errors.js';

const dataDevice = /^\/dev\/(sd|xvd)[f-p]$/;
const rootDevices = new Set(['/dev/xvda', '/dev/sda1']);

export function isRootDevice(device: string): boolean {
  return rootDevices.has(device);
}

/** Whether the device is a root one; InvalidParameterValue for a name EC2 does not take. */
export function checkDeviceName(device: string): { root: boolean } {
  if (isRootDevice(device)) return { root: true };
  if (dataDevice.test(device)) return { root: false };
  throw invalidParameterValue(
    `Value (${device}) for parameter device is invalid. ${device} is not a valid EBS device name; use /dev/sd[f-p] (or /dev/xvd[f-p]) for data volumes, /dev/xvda or /dev/sda1 for the root volume.`,
  );
}

/** EC2's limit of instances one multi-attach volume may be attached to. */
export const maxMultiAttachments = 16;
