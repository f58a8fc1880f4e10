/**
 * An instance as stored: what the user asked (spec), what the launch made so
 * far (so that a restarted compute resumes it, and terminate knows what to
 * clean up), and the state the user sees. The controller owns everything but
 * the user's requests (desired state, attributes, tags).
 */
import type { StoredTag } from '@nimbus/service-kit';
import type { InstanceStateName } from '../domain/instance-states.js';

export interface MappedVolumeSpec {
  deviceName: string;
  /** Empty: an empty volume of `size` GiB. */
  snapshotId: string;
  /**
   * The account owning `snapshotId` when it comes from the image (the image's
   * owner, e.g. `nimbus` for the provided images): block storage makes the
   * volume from it for the launching account. Absent: the launching account's own.
   */
  snapshotOwnerId?: string;
  size: number;
  volumeType: string;
  iops: number;
  throughput: number;
  encrypted: boolean;
  deleteOnTermination: boolean;
  isRoot: boolean;
}

/** A volume the launch made (or is making: `volumeId` empty until block-storage answered). */
export interface InstanceVolume extends MappedVolumeSpec {
  volumeId: string;
  /** Where its bytes live on the host (block-storage's host_path). */
  hostPath: string;
  attachTime: string;
  /** Set once the volume is available. */
  ready: boolean;
  /** Set once block storage attached it to the instance (it stays attached while stopped). */
  attached?: boolean;
  /** Set once terminate deleted it. */
  deleted?: boolean;
}

export interface GroupRef {
  groupId: string;
  groupName: string;
}

export interface MetadataOptionsRecord {
  httpTokens: 'optional' | 'required';
  httpEndpoint: 'enabled' | 'disabled';
  httpPutResponseHopLimit: number;
  instanceMetadataTags: 'enabled' | 'disabled';
}

export interface ImageFacts {
  bootCommand: string;
  rootDeviceName: string;
  architecture: string;
}

export type DesiredState = 'running' | 'stopped' | 'terminated';

export interface InstanceRecord {
  instanceId: string;
  /** The W3C traceparent of the RunInstances call, when traced: the launch joins its trace. */
  traceparent?: string;
  ownerId: string;
  reservationId: string;
  requesterId: string;
  amiLaunchIndex: number;
  clientToken: string;
  createTime: string;

  // What the user asked.
  imageId: string;
  instanceType: string;
  keyName: string;
  /** OpenSSH public key of the key pair at launch. */
  publicKey: string;
  availabilityZone: string;
  subnetId: string;
  vpcId: string;
  groups: GroupRef[];
  /** Base64 as given. */
  userData: string;
  requestedPrivateIp: string;
  associatePublicIp: boolean;
  interfaceDeleteOnTermination: boolean;
  shutdownBehavior: 'stop' | 'terminate';
  disableApiTermination: boolean;
  metadataOptions: MetadataOptionsRecord;
  tags: StoredTag[];
  /** Tags the launch gives its volumes (TagSpecifications of type volume). */
  volumeTags: StoredTag[];
  image: ImageFacts;

  // What the user wants now.
  desired: DesiredState;
  /** When `desired` last changed to stopped or terminated (epoch ms): how long the worker has had to act. */
  desiredSince?: number;
  /** Force on the last stop: SIGKILL at once. */
  forceStop: boolean;
  rebootGeneration: number;
  /** Increments with every change the worker must see. */
  generation: number;

  // What is.
  state: InstanceStateName;
  stateReason?: { code: string; message: string };
  stateTransitionReason: string;
  /** When it last went pending. */
  launchTime: string;
  /** Set when it reached terminated: it vanishes after the retention. */
  terminatedAt?: string;
  /** Why a launch failed, set before its clean-up; the state reason once terminated. */
  failure?: { code: string; message: string };

  // What the launch made (each step recorded as it completes).
  /**
   * Recorded before the first call to another service: from then on a volume
   * or interface may exist that is not recorded yet (compute died between the
   * call and the record), and clean-up asks for it again by its client token.
   */
  launchStarted?: boolean;
  volumes: InstanceVolume[];
  networkInterfaceId: string;
  attachmentId: string;
  privateIpAddress: string;
  privateDnsName: string;
  macAddress: string;
  subnetCidrBlock: string;
  vpcCidrBlock?: string;
  /** The auto-assigned public address, while it has one. */
  publicIp: string;
  /** The Elastic IP associated with its primary address, if any (shown instead of publicIp). */
  elasticIp?: string;
  /** The worker it is placed on, with the capacity claimed there; empty when none. */
  workerName: string;
  /** Set when its worker was declared lost: nothing is left to wait for there. */
  lost?: boolean;
  /** Set when a worker reported the current run of the boot process. */
  startedAt?: string;
}

/** The public address users and the instance see: the Elastic IP when associated, else the auto-assigned one. */
export function publicAddress(record: InstanceRecord): string {
  return record.elasticIp || record.publicIp;
}
