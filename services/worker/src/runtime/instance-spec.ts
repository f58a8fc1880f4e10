/**
 * Everything a worker needs to run one instance, in the runtime's own terms
 * (the agent translates compute's desired-instance messages into this).
 */

/** Where the instance's root volume comes from. */
export interface RootVolumeRef {
  /** The block-storage volume id (vol-...). */
  volumeId: string;
  /**
   * A directory to use as the root file system as it is, instead of mounting
   * the volume (tests, and hosts without loop devices).
   */
  directory?: string;
}

/** IMDS settings of the instance (EC2's InstanceMetadataOptions). */
export interface MetadataOptions {
  /** `required`: IMDSv2 only, a GET without a valid token gets 401. Default `optional`. */
  httpTokens: 'optional' | 'required';
  /** `disabled`: no metadata endpoint at all. Default `enabled`. */
  httpEndpoint: 'enabled' | 'disabled';
}

export interface InstanceSpec {
  instanceId: string;
  accountId: string;
  region: string;
  availabilityZone: string;
  imageId: string;
  instanceType: string;
  /** The instance type's vCPUs: the CPU quota. */
  vcpus: number;
  /** The instance type's memory in MiB: the memory limit. */
  memoryMiB: number;
  /** The primary private IPv4 address; with the process runtime a loopback address the instance binds. */
  privateIp: string;
  /** The public IPv4 address (Elastic or auto-assigned), if any. */
  publicIp?: string;
  /** The image's boot command, run with `/bin/sh -c` in the root volume's directory; empty: none. */
  bootCommand: string;
  /** Decoded user data; run at every boot when it starts with `#!`, always served by the metadata service. */
  userData: Uint8Array;
  keyName?: string;
  /** The key pair's OpenSSH public key, served at public-keys/0/openssh-key. */
  openSshKey?: string;
  /** Names of its security groups. */
  securityGroups: string[];
  rootVolume: RootVolumeRef;
  metadataOptions: MetadataOptions;
  launchTime: Date;
}

export const defaultMetadataOptions: MetadataOptions = { httpTokens: 'optional', httpEndpoint: 'enabled' };

/** True when the user data is a script the instance runs (it starts with `#!`), as cloud-init decides. */
export function isUserDataScript(userData: Uint8Array): boolean {
  return userData.length >= 2 && userData[0] === 0x23 && userData[1] === 0x21;
}
