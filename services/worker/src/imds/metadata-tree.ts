/**
 * The instance metadata an instance sees, as a tree of directories and
 * values: the paths of EC2's IMDS under /latest/ (meta-data, user-data,
 * dynamic/instance-identity/document). A directory lists its entries one per
 * line, subdirectories with a trailing slash; an entry that does not apply
 * (public-ipv4 without a public address, public-keys without a key pair,
 * user-data when there is none) is absent, so it answers 404 as in EC2.
 */
import type { InstanceSpec } from '../runtime/instance-spec.js';

export type MetadataNode = string | Uint8Array | MetadataDir;
export interface MetadataDir {
  entries: Record<string, MetadataNode>;
  /** A listing other than the entry names (public-keys/ lists `0=<key name>`). */
  listing?: string;
}

const dir = (entries: Record<string, MetadataNode | undefined>, listing?: string): MetadataDir => {
  const kept: Record<string, MetadataNode> = {};
  for (const [name, node] of Object.entries(entries)) if (node !== undefined) kept[name] = node;
  return listing === undefined ? { entries: kept } : { entries: kept, listing };
};

export function isDir(node: MetadataNode): node is MetadataDir {
  return typeof node === 'object' && !(node instanceof Uint8Array);
}

export function listingOf(node: MetadataDir): string {
  if (node.listing !== undefined) return node.listing;
  return Object.entries(node.entries)
    .map(([name, child]) => (isDir(child) ? `${name}/` : name))
    .join('\n');
}

/** The identity document (/latest/dynamic/instance-identity/document), with EC2's fields. */
export function identityDocument(spec: InstanceSpec): string {
  return JSON.stringify(
    {
      accountId: spec.accountId,
      architecture: spec.architecture ?? 'x86_64',
      availabilityZone: spec.availabilityZone,
      billingProducts: null,
      devpayProductCodes: null,
      marketplaceProductCodes: null,
      imageId: spec.imageId,
      instanceId: spec.instanceId,
      instanceType: spec.instanceType,
      kernelId: null,
      pendingTime: spec.launchTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      privateIp: spec.privateIp,
      ramdiskId: null,
      region: spec.region,
      version: '2017-09-30',
    },
    null,
    2,
  );
}

export function metadataTree(spec: InstanceSpec): MetadataDir {
  const net = spec.network ?? {};
  const hostname = net.privateDnsName || spec.privateIp;
  const groups = spec.securityGroups.join('\n');
  const mac = net.macAddress;
  const devices = spec.blockDevices ?? [];
  const rootDevice = devices.find((d) => d.volumeId === spec.rootVolume.volumeId)?.deviceName ?? '/dev/xvda';
  const blockDeviceMapping: Record<string, MetadataNode> = { ami: rootDevice, root: rootDevice };
  let ebs = 0;
  for (const device of devices) {
    if (device.volumeId !== spec.rootVolume.volumeId) blockDeviceMapping[`ebs${++ebs}`] = device.deviceName;
  }
  const tags =
    spec.metadataOptions.instanceMetadataTags === 'enabled'
      ? dir({ instance: dir(Object.fromEntries(Object.entries(spec.tags ?? {}))) })
      : undefined;
  const interfaceDir = mac
    ? dir({
        'device-number': '0',
        'interface-id': net.networkInterfaceId,
        'local-hostname': hostname,
        'local-ipv4s': spec.privateIp,
        mac,
        'owner-id': spec.accountId,
        'public-hostname': spec.publicIp ? net.publicDnsName : undefined,
        'public-ipv4s': spec.publicIp,
        'security-group-ids': net.securityGroupIds?.join('\n'),
        'security-groups': groups,
        'subnet-id': net.subnetId,
        'subnet-ipv4-cidr-block': net.subnetCidrBlock,
        'vpc-id': net.vpcId,
        'vpc-ipv4-cidr-block': net.vpcCidrBlock,
      })
    : undefined;
  const metaData = dir({
    'ami-id': spec.imageId,
    'ami-launch-index': String(spec.amiLaunchIndex ?? 0),
    'block-device-mapping': dir(blockDeviceMapping),
    hostname,
    'instance-action': 'none',
    'instance-id': spec.instanceId,
    'instance-life-cycle': 'on-demand',
    'instance-type': spec.instanceType,
    'local-hostname': hostname,
    'local-ipv4': spec.privateIp,
    mac,
    network:
      interfaceDir && mac ? dir({ interfaces: dir({ macs: dir({ [mac]: interfaceDir }) }) }) : undefined,
    placement: dir({ 'availability-zone': spec.availabilityZone, region: spec.region }),
    'public-hostname': spec.publicIp ? net.publicDnsName : undefined,
    'public-ipv4': spec.publicIp,
    'public-keys':
      spec.keyName && spec.openSshKey
        ? dir({ '0': dir({ 'openssh-key': spec.openSshKey }) }, `0=${spec.keyName}`)
        : undefined,
    'reservation-id': spec.reservationId,
    'security-groups': groups,
    tags,
  });
  return dir({
    'meta-data': metaData,
    'user-data': spec.userData.length > 0 ? spec.userData : undefined,
    dynamic: dir({ 'instance-identity': dir({ document: identityDocument(spec) }) }),
  });
}

/** The node at a path below /latest/ (segments without empty ones), or undefined. */
export function lookup(root: MetadataDir, segments: string[]): MetadataNode | undefined {
  let node: MetadataNode = root;
  for (const segment of segments) {
    if (!isDir(node)) return undefined;
    if (!Object.hasOwn(node.entries, segment)) return undefined;
    node = node.entries[segment] as MetadataNode;
  }
  return node;
}
