import { codeOf } from '@nimbus/service-kit';
import { describe, expect, it } from 'vitest';
import { mappingsFromRequest } from './block-device-mappings.js';
import { checkImageName } from './image-names.js';
import { applyLaunchPermissionChange, canLaunch } from './launch-permissions.js';

describe('image names', () => {
  it("accepts EC2's characters from 3 to 128 of them, and refuses the rest", () => {
    for (const name of ['abc', "my image (v1) [x86_64] 2024.10/a-b_c'd@e", 'x'.repeat(128)]) {
      expect(codeOf(() => checkImageName(name))).toBeUndefined();
    }
    for (const name of ['ab', 'x'.repeat(129), 'a,b,c', 'tab\there', 'émoji', 'semi;colon']) {
      expect(codeOf(() => checkImageName(name))).toBe('InvalidAMIName.Malformed');
    }
    expect(codeOf(() => checkImageName(''))).toBe('MissingParameter');
  });
});

describe('launch permissions', () => {
  const image = { ownerId: '111111111111', launchPermission: { public: false, userIds: ['222222222222'] } };

  it('let the owner, the accounts shared with, and everyone for a public image launch', () => {
    expect(canLaunch(image, '111111111111')).toBe(true);
    expect(canLaunch(image, '222222222222')).toBe(true);
    expect(canLaunch(image, '333333333333')).toBe(false);
    expect(canLaunch({ ...image, launchPermission: { public: true, userIds: [] } }, '333333333333')).toBe(
      true,
    );
  });

  it('add each account once and remove only what is there', () => {
    const changed = applyLaunchPermissionChange(image.launchPermission, {
      addUsers: ['222222222222', '333333333333'],
      removeUsers: ['444444444444'],
      public: true,
    });
    expect(changed).toEqual({ public: true, userIds: ['222222222222', '333333333333'] });
    expect(applyLaunchPermissionChange(changed, { addUsers: [], removeUsers: ['222222222222'] })).toEqual({
      public: true,
      userIds: ['333333333333'],
    });
  });
});

describe('block device mappings', () => {
  const ebs = (snapshotId: string, extra = {}) => ({
    snapshotId,
    volumeSize: 0,
    volumeType: '',
    iops: 0,
    throughput: 0,
    encrypted: false,
    ...extra,
  });
  const mapping = (deviceName: string, rest: object) =>
    ({ deviceName, noDevice: false, virtualName: '', ...rest }) as Parameters<
      typeof mappingsFromRequest
    >[1][number];

  it('need a snapshot on the root device, device names EC2 knows, each once', () => {
    const root = mapping('/dev/xvda', { ebs: ebs('snap-0123456789abcdef0') });
    expect(mappingsFromRequest('/dev/xvda', [root])[0]?.ebs).toMatchObject({
      volumeType: 'gp2',
      deleteOnTermination: true,
    });
    expect(codeOf(() => mappingsFromRequest('/dev/xvda', []))).toBe('InvalidBlockDeviceMapping');
    expect(codeOf(() => mappingsFromRequest('/dev/xvda', [root, root]))).toBe('InvalidBlockDeviceMapping');
    expect(codeOf(() => mappingsFromRequest('/dev/hda', [root]))).toBe('InvalidBlockDeviceMapping');
    expect(
      codeOf(() =>
        mappingsFromRequest('/dev/xvda', [
          mapping('/dev/xvda', { ebs: ebs('snap-0123456789abcdef0', { volumeType: 'sc1' }) }),
        ]),
      ),
    ).toBe('InvalidBlockDeviceMapping');
    expect(
      codeOf(() =>
        mappingsFromRequest('/dev/xvda', [
          mapping('/dev/xvda', { ebs: ebs('snap-0123456789abcdef0', { volumeType: 'gp9' }) }),
        ]),
      ),
    ).toBe('InvalidParameterValue');
  });

  it('keep blank data volumes, instance store names and NoDevice', () => {
    const records = mappingsFromRequest('/dev/xvda', [
      mapping('/dev/xvda', { ebs: ebs('snap-0123456789abcdef0') }),
      mapping('/dev/sdf', { ebs: ebs('', { volumeSize: 10, volumeType: 'gp3' }) }),
      mapping('/dev/sdb', { virtualName: 'ephemeral0' }),
      mapping('/dev/sdg', { noDevice: true }),
    ]);
    expect(records.map((r) => r.deviceName)).toEqual(['/dev/xvda', '/dev/sdf', '/dev/sdb', '/dev/sdg']);
    expect(records[1]?.ebs).toMatchObject({ snapshotId: '', volumeSize: 10, volumeType: 'gp3' });
    expect(
      codeOf(() =>
        mappingsFromRequest('/dev/xvda', [
          mapping('/dev/xvda', { ebs: ebs('snap-0123456789abcdef0') }),
          mapping('/dev/sdf', { ebs: ebs('') }),
        ]),
      ),
    ).toBe('InvalidBlockDeviceMapping');
  });
});
