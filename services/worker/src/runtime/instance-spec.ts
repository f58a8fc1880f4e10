/**
 * Everything a worker needs to run one instance, in the runtime's own terms
 * (the agent translates compute's desired-instance messages into this).
 */

/** Where the instance's root volume comes from. */
export interface RootVolumeRef {
  /** The block-storage volume id (vol-...). */
  volumeId: string;
  /**
   * Where its bytes live on this host: a file holding an ext4 filesystem
   * (mounted by the root-volume seam), or a directory used as it is (tests,
   * hosts without loop devices).
   */
  hostPath?: string;
  /** Type, size and provisioned figures, for the IOPS throttle. */
  performance?: { volumeType: string; size: number; iops: number; throughput: number };
}

/** IMDS settings of the instance (EC2's InstanceMetadataOptions). */
export interface MetadataOptions {
  /** `required`: IMDSv2 only, a GET without a valid token gets 401. Default `optional`. */
  httpTokens: 'optional' | 'required';
  /** `disabled`: no metadata endpoint at all. Default `enabled`. */
  httpEndpoint: 'enabled' | 'disabled';
  /** `enabled`: tags are served under /latest/meta-data/tags/instance. Default `disabled`. */
  instanceMetadataTags: 'enabled' | 'disabled';
}

/** Network details served by the metadata service (all optional: a fake or test instance may lack them). */
export interface InstanceNetworkInfo {
  privateDnsName?: string;
  publicDnsName?: string;
  macAddress?: string;
  networkInterfaceId?: string;
  subnetId?: string;
  vpcId?: string;
  subnetCidrBlock?: string;
  vpcCidrBlock?: string;
  securityGroupIds?: string[];
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
  /** Every volume by device name (the root one too), for block-device-mapping. */
  blockDevices?: { deviceName: string; volumeId: string }[];
  metadataOptions: MetadataOptions;
  launchTime: Date;
  reservationId?: string;
  amiLaunchIndex?: number;
  /** Default x86_64. */
  architecture?: string;
  network?: InstanceNetworkInfo;
  tags?: Record<string, string>;
}

export const defaultMetadataOptions: MetadataOptions = {
  httpTokens: 'optional',
  httpEndpoint: 'enabled',
  instanceMetadataTags: 'disabled',
};

/** True when the user data is a script the instance runs (it starts with `#!`), as cloud-init decides. */
export function isUserDataScript(userData: Uint8Array): boolean {
  return userData.length >= 2 && userData[0] === 0x23 && userData[1] === 0x21;
}
