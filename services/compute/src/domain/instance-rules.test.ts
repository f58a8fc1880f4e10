import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  BlockDeviceMappingSchema,
  type EbsBlockDeviceSchema,
} from '@nimbus/api/gen/nimbus/compute/v1/instance_pb';
import { codeOf } from '@nimbus/service-kit';
import { describe, expect, it } from 'vitest';
import { volumesFor } from '../api/launch-request.js';
import type { MappedVolumeSpec } from '../state/instance-records.js';
import {
  rebootOutcome,
  startOutcome,
  stopOutcome,
  terminateOutcome,
  userInitiated,
} from './instance-states.js';
import { decodeUserData } from './user-data.js';

describe('state rules', () => {
  it('allows each action only from the states EC2 allows it from', () => {
    expect(stopOutcome('running')).toEqual({ kind: 'to', state: 'stopping' });
    expect(stopOutcome('stopped').kind).toBe('same');
    expect(stopOutcome('pending').kind).toBe('refuse');
    expect(stopOutcome('terminated').kind).toBe('refuse');
    expect(startOutcome('stopped')).toEqual({ kind: 'to', state: 'pending' });
    expect(startOutcome('running').kind).toBe('same');
    expect(startOutcome('stopping').kind).toBe('refuse');
    expect(terminateOutcome('stopped')).toEqual({ kind: 'to', state: 'shutting-down' });
    expect(terminateOutcome('terminated').kind).toBe('same');
    expect(rebootOutcome('running')).toBe('reboot');
    expect(rebootOutcome('terminated')).toBe('ignore');
    expect(rebootOutcome('stopped')).toBe('refuse');
  });

  it('writes the transition reason as EC2 does', () => {
    expect(userInitiated(new Date('2026-11-24T22:05:09.123Z'))).toBe(
      'User initiated (2026-11-24 22:05:09 GMT)',
    );
  });
});

describe('user data', () => {
  it('takes base64 of at most 16384 bytes', () => {
    expect(decodeUserData(Buffer.from('#!/bin/sh\n').toString('base64')).toString()).toBe('#!/bin/sh\n');
    expect(decodeUserData('').length).toBe(0);
    expect(codeOf(() => decodeUserData('abc'))).toBe('InvalidUserData.Malformed');
    expect(codeOf(() => decodeUserData('ab$='))).toBe('InvalidUserData.Malformed');
    expect(decodeUserData(Buffer.alloc(16384).toString('base64')).length).toBe(16384);
    expect(codeOf(() => decodeUserData(Buffer.alloc(16385).toString('base64')))).toBe(
      'InvalidParameterValue',
    );
  });
});

describe('block device mappings', () => {
  const root: MappedVolumeSpec = {
    deviceName: '/dev/xvda',
    snapshotId: 'snap-0123456789abcdef0',
    size: 8,
    volumeType: 'gp2',
    iops: 0,
    throughput: 0,
    encrypted: false,
    deleteOnTermination: true,
    isRoot: true,
  };
  const data: MappedVolumeSpec = {
    ...root,
    deviceName: '/dev/sdf',
    snapshotId: 'snap-00000000000000001',
    isRoot: false,
  };
  const mapping = (
    deviceName: string,
    ebs?: MessageInitShape<typeof EbsBlockDeviceSchema>,
    noDevice?: string,
  ) =>
    create(BlockDeviceMappingSchema, {
      deviceName,
      ...(ebs ? { ebs } : {}),
      ...(noDevice === undefined ? {} : { noDevice }),
    });

  it('resizes the root, suppresses and adds devices', () => {
    const volumes = volumesFor(
      root,
      [data],
      [
        mapping('/dev/xvda', { volumeSize: 20, volumeType: 'gp3', deleteOnTermination: false }),
        mapping('/dev/sdf', undefined, ''),
        mapping('/dev/sdg', { volumeSize: 5 }),
      ],
    );
    expect(volumes.map((v) => [v.deviceName, v.size, v.volumeType, v.deleteOnTermination, v.isRoot])).toEqual(
      [
        ['/dev/xvda', 20, 'gp3', false, true],
        ['/dev/sdg', 5, 'gp2', true, false],
      ],
    );
  });

  it('refuses a root smaller than its snapshot, a suppressed root, bad and repeated devices', () => {
    expect(codeOf(() => volumesFor(root, [], [mapping('/dev/xvda', { volumeSize: 4 })]))).toBe(
      'InvalidBlockDeviceMapping',
    );
    expect(codeOf(() => volumesFor(root, [], [mapping('/dev/xvda', undefined, '')]))).toBe(
      'InvalidBlockDeviceMapping',
    );
    expect(codeOf(() => volumesFor(root, [], [mapping('/dev/hda', { volumeSize: 1 })]))).toBe(
      'InvalidBlockDeviceMapping',
    );
    expect(codeOf(() => volumesFor(root, [], [mapping('/dev/sdg', {})]))).toBe('InvalidBlockDeviceMapping');
    expect(
      codeOf(() =>
        volumesFor(
          root,
          [],
          [mapping('/dev/sdg', { volumeSize: 1 }), mapping('/dev/sdg', { volumeSize: 2 })],
        ),
      ),
    ).toBe('InvalidBlockDeviceMapping');
    expect(
      codeOf(() => volumesFor(root, [], [mapping('/dev/sdg', { volumeSize: 1, volumeType: 'gp9' })])),
    ).toBe('InvalidParameterValue');
  });
});
