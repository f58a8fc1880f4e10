/**
 * The EC2 actions the gateway serves (API version 2016-11-15), one entry each:
 * the owning service and method, the parameters checked up front, the layout
 * of the answer. The names on the wire follow wire-names.ts and the
 * exceptions listed at the end of this file.
 */
import { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import { action, type QueryAction } from '../query/query-action.js';
import { nameExceptions } from '../query/wire-names.js';

const network = NetworkService.method;
const storage = BlockStorageService.method;
const compute = ComputeService.method;
const image = ImageService.method;

/** Whose resources CreateTags and DeleteTags reach, by id prefix (network tags only at creation). */
const tagOwners = {
  'i-': 'compute',
  'vol-': 'block-storage',
  'snap-': 'block-storage',
  'ami-': 'image',
} as const;

export const ec2Actions: readonly QueryAction[] = [
  // Key pairs.
  action('network', network.createKeyPair, { required: ['KeyName'] }),
  action('network', network.importKeyPair, { required: ['KeyName', 'PublicKeyMaterial'] }),
  action('network', network.describeKeyPairs),
  action('network', network.deleteKeyPair),
  // VPCs and subnets.
  action('network', network.createVpc, { required: ['CidrBlock'] }),
  action('network', network.describeVpcs),
  action('network', network.deleteVpc, { required: ['VpcId'] }),
  action('network', network.createSubnet, { required: ['VpcId', 'CidrBlock'] }),
  action('network', network.describeSubnets),
  action('network', network.deleteSubnet, { required: ['SubnetId'] }),
  action('network', network.modifySubnetAttribute, { required: ['SubnetId'] }),
  // Security groups and their rules.
  action('network', network.createSecurityGroup, { required: ['GroupName', 'GroupDescription'] }),
  action('network', network.describeSecurityGroups),
  action('network', network.deleteSecurityGroup),
  action('network', network.authorizeSecurityGroupIngress),
  action('network', network.authorizeSecurityGroupEgress, { required: ['GroupId'] }),
  action('network', network.revokeSecurityGroupIngress),
  action('network', network.revokeSecurityGroupEgress, { required: ['GroupId'] }),
  action('network', network.describeSecurityGroupRules),
  // Network interfaces.
  action('network', network.createNetworkInterface, { required: ['SubnetId'] }),
  action('network', network.describeNetworkInterfaces),
  action('network', network.deleteNetworkInterface, { required: ['NetworkInterfaceId'] }),
  action('network', network.attachNetworkInterface, {
    required: ['NetworkInterfaceId', 'InstanceId', 'DeviceIndex'],
  }),
  action('network', network.detachNetworkInterface, { required: ['AttachmentId'] }),
  action('network', network.assignPrivateIpAddresses, { required: ['NetworkInterfaceId'] }),
  action('network', network.unassignPrivateIpAddresses, { required: ['NetworkInterfaceId'] }),
  action('network', network.modifyNetworkInterfaceAttribute, { required: ['NetworkInterfaceId'] }),
  // Elastic IPs.
  action('network', network.allocateAddress),
  action('network', network.associateAddress),
  action('network', network.disassociateAddress),
  action('network', network.releaseAddress),
  action('network', network.describeAddresses),
  // Volumes.
  action('block-storage', storage.createVolume, { required: ['AvailabilityZone'], flatten: 'volume' }),
  action('block-storage', storage.describeVolumes),
  action('block-storage', storage.deleteVolume, { required: ['VolumeId'] }),
  action('block-storage', storage.modifyVolume, { required: ['VolumeId'] }),
  action('block-storage', storage.describeVolumesModifications),
  action('block-storage', storage.describeVolumeStatus),
  action('block-storage', storage.attachVolume, {
    required: ['VolumeId', 'InstanceId', 'Device'],
    flatten: 'attachment',
  }),
  action('block-storage', storage.detachVolume, { required: ['VolumeId'], flatten: 'attachment' }),
  // Snapshots.
  action('block-storage', storage.createSnapshot, { required: ['VolumeId'], flatten: 'snapshot' }),
  action('block-storage', storage.describeSnapshots),
  action('block-storage', storage.deleteSnapshot, { required: ['SnapshotId'] }),
  action('block-storage', storage.copySnapshot, {
    required: ['SourceSnapshotId', 'SourceRegion'],
    // The SDKs add these for copies across regions; a region of Nimbus copies within itself.
    ignored: ['DestinationRegion', 'PresignedUrl'],
  }),
  // Instances and the catalog.
  action('compute', compute.describeInstanceTypes),
  action('compute', compute.describeInstanceTypeOfferings),
  action('compute', compute.describeAvailabilityZones),
  action('compute', compute.describeRegions),
  action('compute', compute.runInstances, { required: ['MinCount', 'MaxCount'], instanceCount: 'MaxCount' }),
  action('compute', compute.describeInstances),
  action('compute', compute.startInstances, { required: ['InstanceId'] }),
  action('compute', compute.stopInstances, { required: ['InstanceId'] }),
  action('compute', compute.rebootInstances, { required: ['InstanceId'] }),
  action('compute', compute.terminateInstances, { required: ['InstanceId'] }),
  action('compute', compute.describeInstanceStatus),
  action('compute', compute.modifyInstanceAttribute, { required: ['InstanceId'] }),
  action('compute', compute.describeInstanceAttribute, { required: ['InstanceId', 'Attribute'] }),
  action('compute', compute.getConsoleOutput, { required: ['InstanceId'] }),
  action('compute', compute.describeTags),
  action('compute', compute.createTags, { required: ['ResourceId', 'Tag'], byResource: tagOwners }),
  action('compute', compute.deleteTags, { required: ['ResourceId'], byResource: tagOwners }),
  // Images.
  action('image', image.registerImage, { required: ['Name'] }),
  action('image', image.describeImages),
  action('image', image.deregisterImage, { required: ['ImageId'] }),
  action('image', image.copyImage, { required: ['Name', 'SourceImageId', 'SourceRegion'] }),
  action('image', image.createImage, { required: ['InstanceId', 'Name'] }),
  action('image', image.describeImageAttribute, { required: ['ImageId', 'Attribute'] }),
  action('image', image.modifyImageAttribute, { required: ['ImageId'] }),
  action('image', image.resetImageAttribute, { required: ['ImageId', 'Attribute'] }),
];

// Where EC2's names on the wire do not follow the rule (read off the SDK's EC2
// model; ec2-wire-names.test.ts holds every mapped action to it).
nameExceptions('request', 'nimbus.network.v1.CreateSecurityGroupRequest', {
  description: 'GroupDescription',
});
for (const request of [
  'AuthorizeSecurityGroupIngressRequest',
  'AuthorizeSecurityGroupEgressRequest',
  'RevokeSecurityGroupIngressRequest',
  'RevokeSecurityGroupEgressRequest',
]) {
  nameExceptions('request', `nimbus.network.v1.${request}`, { ip_permissions: 'IpPermissions' });
}
nameExceptions('request', 'nimbus.network.v1.IpPermission', {
  ip_ranges: 'IpRanges',
  user_id_group_pairs: 'Groups',
});
nameExceptions('response', 'nimbus.network.v1.IpPermission', {
  ip_ranges: 'ipRanges',
  user_id_group_pairs: 'groups',
});
nameExceptions('response', 'nimbus.network.v1.SecurityGroup', {
  description: 'groupDescription',
  ip_permissions: 'ipPermissions',
  ip_permissions_egress: 'ipPermissionsEgress',
});
nameExceptions('response', 'nimbus.network.v1.DescribeSecurityGroupsResponse', {
  security_groups: 'securityGroupInfo',
});
nameExceptions('response', 'nimbus.network.v1.DescribeKeyPairsResponse', { key_pairs: 'keySet' });
nameExceptions('request', 'nimbus.network.v1.CreateNetworkInterfaceRequest', {
  groups: 'SecurityGroupId',
  private_ip_addresses: 'PrivateIpAddresses',
});
nameExceptions('request', 'nimbus.network.v1.ModifyNetworkInterfaceAttributeRequest', {
  groups: 'SecurityGroupId',
  description: 'Description.Value',
  source_dest_check: 'SourceDestCheck.Value',
});
nameExceptions('request', 'nimbus.network.v1.ModifySubnetAttributeRequest', {
  map_public_ip_on_launch: 'MapPublicIpOnLaunch.Value',
});
nameExceptions('response', 'nimbus.network.v1.NetworkInterface', {
  private_ip_addresses: 'privateIpAddressesSet',
});
nameExceptions('response', 'nimbus.network.v1.AssignPrivateIpAddressesResponse', {
  assigned_private_ip_addresses: 'assignedPrivateIpAddressesSet/privateIpAddress',
});
nameExceptions('response', 'nimbus.network.v1.DescribeAddressesResponse', { addresses: 'addressesSet' });
nameExceptions('response', 'nimbus.storage.v1.Volume', { state: 'status' });
nameExceptions('response', 'nimbus.storage.v1.VolumeAttachment', { state: 'status' });
nameExceptions('response', 'nimbus.storage.v1.DescribeVolumesModificationsResponse', {
  volumes_modifications: 'volumeModificationSet',
});
nameExceptions('response', 'nimbus.storage.v1.VolumeStatusInfo', { details: 'details' });
nameExceptions('request', 'nimbus.storage.v1.DescribeSnapshotsRequest', {
  owner_ids: 'Owner',
  restorable_by_user_ids: 'RestorableBy',
});
nameExceptions('response', 'nimbus.storage.v1.Snapshot', { state: 'status', state_message: 'statusMessage' });
nameExceptions('response', 'nimbus.compute.v1.InstanceTypeInfo', {
  supported_usage_classes: 'supportedUsageClasses',
  supported_root_device_types: 'supportedRootDeviceTypes',
  supported_virtualization_types: 'supportedVirtualizationTypes',
});
nameExceptions('response', 'nimbus.compute.v1.ProcessorInfo', {
  supported_architectures: 'supportedArchitectures',
});
nameExceptions('response', 'nimbus.compute.v1.DescribeAvailabilityZonesResponse', {
  availability_zones: 'availabilityZoneInfo',
});
nameExceptions('response', 'nimbus.compute.v1.AvailabilityZone', {
  state: 'zoneState',
  messages: 'messageSet/message',
});
nameExceptions('response', 'nimbus.compute.v1.DescribeRegionsResponse', { regions: 'regionInfo' });
nameExceptions('response', 'nimbus.compute.v1.Region', { endpoint: 'regionEndpoint' });
nameExceptions('request', 'nimbus.compute.v1.InstanceNetworkInterfaceSpecification', {
  groups: 'SecurityGroupId',
});
nameExceptions('response', 'nimbus.compute.v1.RunInstancesResponse', { instances: 'instancesSet' });
nameExceptions('response', 'nimbus.compute.v1.Reservation', { instances: 'instancesSet' });
nameExceptions('response', 'nimbus.compute.v1.Instance', {
  state: 'instanceState',
  public_dns_name: 'dnsName',
  state_transition_reason: 'reason',
  public_ip_address: 'ipAddress',
  block_device_mappings: 'blockDeviceMapping',
  security_groups: 'groupSet',
  monitoring_state: 'monitoring/state',
});
for (const response of ['StartInstancesResponse', 'StopInstancesResponse', 'TerminateInstancesResponse']) {
  const field = { StartInstancesResponse: 'starting_instances', StopInstancesResponse: 'stopping_instances' }[
    response
  ];
  nameExceptions('response', `nimbus.compute.v1.${response}`, {
    [field ?? 'terminating_instances']: 'instancesSet',
  });
}
nameExceptions('response', 'nimbus.compute.v1.InstanceStatusSummary', { details: 'details' });
nameExceptions('response', 'nimbus.compute.v1.InstanceStatus', { events: 'eventsSet' });
nameExceptions('request', 'nimbus.compute.v1.ModifyInstanceAttributeRequest', {
  instance_type: 'InstanceType.Value',
  user_data: 'UserData.Value',
  disable_api_termination: 'DisableApiTermination.Value',
  instance_initiated_shutdown_behavior: 'InstanceInitiatedShutdownBehavior.Value',
  groups: 'GroupId',
});
nameExceptions('response', 'nimbus.compute.v1.DescribeInstanceAttributeResponse', {
  instance_type: 'instanceType/value',
  user_data: 'userData/value',
  disable_api_termination: 'disableApiTermination/value',
  instance_initiated_shutdown_behavior: 'instanceInitiatedShutdownBehavior/value',
  block_device_mappings: 'blockDeviceMapping',
  root_device_name: 'rootDeviceName/value',
});
nameExceptions('request', 'nimbus.image.v1.DescribeImagesRequest', { executable_users: 'ExecutableBy' });
nameExceptions('response', 'nimbus.image.v1.DescribeImagesResponse', { images: 'imagesSet' });
nameExceptions('response', 'nimbus.image.v1.Image', {
  state: 'imageState',
  owner_id: 'imageOwnerId',
  public: 'isPublic',
  block_device_mappings: 'blockDeviceMapping',
});
nameExceptions('response', 'nimbus.image.v1.DescribeImageAttributeResponse', {
  launch_permissions: 'launchPermission',
  description: 'description/value',
  block_device_mappings: 'blockDeviceMapping',
  boot_mode: 'bootMode/value',
  kernel_id: 'kernel/value',
  ramdisk_id: 'ramdisk/value',
  product_codes: 'productCodes/productCode',
  sriov_net_support: 'sriovNetSupport/value',
  last_launched_time: 'lastLaunchedTime/value',
  imds_support: 'imdsSupport/value',
  deregistration_protection: 'deregistrationProtection/value',
});
nameExceptions('request', 'nimbus.image.v1.ModifyImageAttributeRequest', {
  description: 'Description.Value',
});
nameExceptions('response', 'nimbus.compute.v1.MemoryInfo', { size_in_mib: 'sizeInMiB' });
nameExceptions('request', 'nimbus.compute.v1.CreateTagsRequest', { resources: 'ResourceId' });
nameExceptions('request', 'nimbus.compute.v1.DeleteTagsRequest', { resources: 'ResourceId' });
