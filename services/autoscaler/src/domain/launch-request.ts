/**
 * The RunInstances request of one group launch: the launch template's data,
 * placed in the chosen zone (or subnet), tagged with the group's name and its
 * tags that propagate at launch, for exactly one instance, with the slot's
 * client token.
 */
import { create, type JsonValue, toJson } from '@bufbuild/protobuf';
import type { LaunchTemplateData } from '@nimbus/api/gen/nimbus/autoscaling/v1/launch_template_pb';
import { PlacementSchema, RunInstancesRequestSchema } from '@nimbus/api/gen/nimbus/compute/v1/instance_pb';
import type { GroupTag } from '../state/group-records.js';

/** The tag every instance of a group carries (`aws:` keys are reserved to AWS, so Nimbus has its own). */
export const groupNameTag = 'nimbus:autoscaling:groupName';

export interface LaunchPlacement {
  zone: string;
  /** Empty: the zone's default subnet. */
  subnetId: string;
}

export function launchRequest(
  data: LaunchTemplateData,
  group: { name: string; tags: readonly GroupTag[] },
  placement: LaunchPlacement,
  clientToken: string,
): JsonValue {
  const instanceTags = [
    ...data.tagSpecifications.filter((s) => s.resourceType === 'instance').flatMap((s) => s.tags),
    ...group.tags.filter((t) => t.propagateAtLaunch).map(({ key, value }) => ({ key, value })),
    { key: groupNameTag, value: group.name },
  ];
  // Later tags of the same key win (the group's over the template's).
  const merged = [...new Map(instanceTags.map((t) => [t.key, t])).values()];
  const interfaces = data.networkInterfaces.map((ni) =>
    ni.deviceIndex === 0 && placement.subnetId ? { ...ni, subnetId: placement.subnetId } : ni,
  );
  const subnetInInterface = interfaces.some((ni) => ni.deviceIndex === 0 && ni.subnetId);
  const request = create(RunInstancesRequestSchema, {
    imageId: data.imageId,
    instanceType: data.instanceType,
    minCount: 1,
    maxCount: 1,
    keyName: data.keyName,
    securityGroupIds: data.securityGroupIds,
    securityGroups: data.securityGroups,
    subnetId: subnetInInterface ? '' : placement.subnetId,
    userData: data.userData,
    blockDeviceMappings: data.blockDeviceMappings,
    tagSpecifications: [
      ...data.tagSpecifications.filter((s) => s.resourceType !== 'instance'),
      { resourceType: 'instance', tags: merged },
    ],
    ...(placement.subnetId || subnetInInterface
      ? {}
      : {
          placement: create(PlacementSchema, {
            tenancy: data.placement?.tenancy ?? '',
            availabilityZone: placement.zone,
          }),
        }),
    instanceInitiatedShutdownBehavior: data.instanceInitiatedShutdownBehavior,
    disableApiTermination: data.disableApiTermination,
    clientToken,
    networkInterfaces: interfaces,
    ...(data.metadataOptions ? { metadataOptions: data.metadataOptions } : {}),
  });
  return toJson(RunInstancesRequestSchema, request);
}
