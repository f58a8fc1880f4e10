import { describe, expect, it } from 'vitest';
import { isStorageError } from './storage-errors.js';
import { resolveModifiedSpec, resolveVolumeSpec, type VolumeSpecRequest } from './volume-types.js';

/** The code and message of the StorageError the rules throw. */
function refusal(request: VolumeSpecRequest): { code: string; message: string } {
  try {
    resolveVolumeSpec(request);
  } catch (error) {
    if (isStorageError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('the request was accepted');
}

describe('volume type rules', () => {
  it('defaults to gp2 with 3 IOPS per GiB between 100 and 16,000, and gp3 to 3,000 IOPS and 125 MiB/s', () => {
    expect(resolveVolumeSpec({ size: 8 })).toEqual({
      volumeType: 'gp2',
      size: 8,
      iops: 100,
      throughput: 0,
      multiAttachEnabled: false,
    });
    expect(resolveVolumeSpec({ size: 1000 }).iops).toBe(3000);
    expect(resolveVolumeSpec({ size: 16_384 }).iops).toBe(16_000);
    expect(resolveVolumeSpec({ size: 1, volumeType: 'gp3' })).toMatchObject({ iops: 3000, throughput: 125 });
    expect(resolveVolumeSpec({ size: 125, volumeType: 'st1' }).iops).toBe(0);
  });

  it("answers EC2's messages for sizes out of a type's range", () => {
    expect(refusal({ size: 2000, volumeType: 'standard' })).toEqual({
      code: 'InvalidParameterValue',
      message: 'Volume of 2000GiB is too large for volume type standard; maximum is 1024GiB',
    });
    expect(refusal({ size: 16_385, volumeType: 'gp2' }).message).toBe(
      'Volume of 16385GiB is too large for volume type gp2; maximum is 16384GiB',
    );
    expect(refusal({ size: 65_537, volumeType: 'gp3' }).message).toBe(
      'Volume of 65537GiB is too large for volume type gp3; maximum is 65536GiB',
    );
    expect(refusal({ size: 3, volumeType: 'io1', iops: 100 }).message).toBe(
      'Volume of 3GiB is too small for volume type io1; minimum is 4GiB',
    );
    expect(refusal({ size: 124, volumeType: 'sc1' }).message).toBe(
      'Volume of 124GiB is too small for volume type sc1; minimum is 125GiB',
    );
    expect(refusal({ size: 0 }).code).toBe('InvalidParameterValue');
    expect(refusal({}).code).toBe('MissingParameter');
  });

  it("answers EC2's messages for IOPS per GiB and throughput per IOPS", () => {
    expect(refusal({ size: 60, volumeType: 'io1', iops: 16_000 })).toEqual({
      code: 'InvalidParameterValue',
      message: 'Iops to volume size ratio of 266.666667 is too high; maximum is 50',
    });
    expect(refusal({ size: 10, volumeType: 'io2', iops: 5001 }).message).toBe(
      'Iops to volume size ratio of 500.100000 is too high; maximum is 500',
    );
    expect(refusal({ size: 8, volumeType: 'gp3', iops: 4001 }).message).toBe(
      'Iops to volume size ratio of 500.125000 is too high; maximum is 500',
    );
    expect(refusal({ size: 100, volumeType: 'gp3', iops: 3000, throughput: 1000 })).toEqual({
      code: 'InvalidParameterValue',
      message: 'Throughput (MiBps) to iops ratio of 0.333333 is too high; maximum is 0.250000 MiBps per iops',
    });
    expect(resolveVolumeSpec({ size: 100, volumeType: 'gp3', iops: 4000, throughput: 1000 })).toMatchObject({
      iops: 4000,
      throughput: 1000,
    });
  });

  it('keeps IOPS and throughput within each type', () => {
    expect(refusal({ size: 100, volumeType: 'io1', iops: 99 }).message).toBe(
      'Volume iops of 99 is too low; minimum is 100',
    );
    expect(refusal({ size: 16_000, volumeType: 'io1', iops: 64_001 }).message).toBe(
      'Volume iops of 64001 is too high; maximum is 64000',
    );
    expect(refusal({ size: 1000, volumeType: 'gp3', iops: 2999 }).message).toBe(
      'Volume iops of 2999 is too low; minimum is 3000',
    );
    expect(refusal({ size: 1000, volumeType: 'gp3', throughput: 124 }).message).toBe(
      'Volume throughput of 124MiBps is too low; minimum is 125MiBps',
    );
    expect(refusal({ size: 1000, volumeType: 'gp3', iops: 16_000, throughput: 2001 }).message).toBe(
      'Volume throughput of 2001MiBps is too high; maximum is 2000MiBps',
    );
    expect(refusal({ size: 100, volumeType: 'io2' })).toEqual({
      code: 'MissingParameter',
      message: 'The request must contain the parameter iops for io2 volumes.',
    });
  });

  it('refuses IOPS on gp2, st1, sc1 and standard and throughput off gp3 as InvalidParameterCombination', () => {
    for (const volumeType of ['gp2', 'st1', 'sc1', 'standard']) {
      expect(refusal({ size: 500, volumeType, iops: 3000 })).toEqual({
        code: 'InvalidParameterCombination',
        message: `The parameter iops is not supported for ${volumeType} volumes.`,
      });
    }
    for (const volumeType of ['gp2', 'io1', 'io2', 'st1', 'sc1', 'standard']) {
      expect(refusal({ size: 500, volumeType, iops: 1000, throughput: 200 }).code).toBe(
        'InvalidParameterCombination',
      );
    }
    expect(refusal({ size: 8, volumeType: 'gp9' })).toEqual({
      code: 'InvalidParameterValue',
      message:
        'Value (gp9) for parameter volumeType is invalid. Allowed values are [standard, io1, io2, gp2, sc1, st1, gp3]',
    });
  });

  it('allows multi-attach on io1 and io2 only', () => {
    expect(
      resolveVolumeSpec({ size: 10, volumeType: 'io2', iops: 1000, multiAttachEnabled: true }),
    ).toMatchObject({ multiAttachEnabled: true });
    expect(refusal({ size: 10, volumeType: 'gp3', multiAttachEnabled: true }).code).toBe(
      'InvalidParameterCombination',
    );
  });
});

describe('volume modification rules', () => {
  const gp2 = resolveVolumeSpec({ size: 100 });

  it('grows only, and recomputes what the size decides', () => {
    expect(resolveModifiedSpec(gp2, { size: 200 })).toMatchObject({ size: 200, iops: 600 });
    expect(() => resolveModifiedSpec(gp2, { size: 50 })).toThrow(
      'New size cannot be smaller than existing size. Current size: 100GiB, requested size: 50GiB',
    );
    expect(() => resolveModifiedSpec(gp2, {})).toThrow(/at least one of the parameters/);
  });

  it('changes type with the new type’s defaults and rules', () => {
    expect(resolveModifiedSpec(gp2, { volumeType: 'gp3' })).toMatchObject({
      volumeType: 'gp3',
      iops: 3000,
      throughput: 125,
    });
    const io1 = resolveVolumeSpec({ size: 100, volumeType: 'io1', iops: 5000 });
    expect(resolveModifiedSpec(io1, { volumeType: 'io2' })).toMatchObject({ volumeType: 'io2', iops: 5000 });
    expect(() => resolveModifiedSpec(io1, { iops: 6000 })).toThrow(
      'Iops to volume size ratio of 60.000000 is too high; maximum is 50',
    );
    expect(() => resolveModifiedSpec(gp2, { volumeType: 'standard', size: 2000 })).toThrow(
      'Volume of 2000GiB is too large for volume type standard; maximum is 1024GiB',
    );
    expect(() => resolveModifiedSpec(gp2, { throughput: 300 })).toThrow(
      'The parameter throughput is not supported for gp2 volumes.',
    );
  });
});
