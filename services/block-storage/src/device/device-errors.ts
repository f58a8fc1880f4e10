/**
 * Errors of the volume device library. A host that lacks something the
 * library needs (root, loop devices, the cgroup v1 blkio controller, a tool)
 * gets `DeviceFacilityMissingError` naming it, never a bare EPERM.
 */

/** What the library needs from the host. */
export type DeviceFacility = 'root' | 'loop devices' | 'blkio cgroup (v1)' | 'losetup' | 'mount';

export class DeviceFacilityMissingError extends Error {
  override name = 'DeviceFacilityMissingError';
  constructor(
    readonly missing: readonly DeviceFacility[],
    detail: string,
  ) {
    super(`this host lacks ${missing.join(', ')}: ${detail}`);
  }
}

/** A command the library ran failed; its own words are in the message. */
export class DeviceCommandError extends Error {
  override name = 'DeviceCommandError';
  constructor(
    readonly command: string,
    readonly stderr: string,
  ) {
    super(`${command} failed: ${stderr.trim() || 'no message'}`);
  }
}
