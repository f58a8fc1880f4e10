/**
 * The EBS volume types and their size, IOPS and throughput rules, with EC2's
 * error messages. Pure: `resolveVolumeSpec` turns what a caller asked
 * (CreateVolume, or ModifyVolume's target) into the complete spec a volume
 * keeps, or throws the StorageError EC2 would answer.
 *
 * Nimbus: io2 volumes are all Block Express (up to 64 TiB and 256,000 IOPS),
 * as new io2 volumes are in EC2 today.
 */
import {
  invalidParameterCombination,
  invalidParameterValue,
  StorageError,
  StorageErrorCode,
} from './storage-errors.js';

export const volumeTypes = ['standard', 'io1', 'io2', 'gp2', 'sc1', 'st1', 'gp3'] as const;
export type VolumeType = (typeof volumeTypes)[number];

export const defaultVolumeType: VolumeType = 'gp2';

interface TypeRules {
  minSize: number;
  maxSize: number;
  /** Provisioned IOPS the caller may (io1, io2, gp3) or must (io1, io2) give. */
  iops?: { min: number; max: number; maxPerGiB: number; required: boolean; default?: number };
  /** Provisioned throughput in MiB/s (gp3 only). */
  throughput?: { min: number; max: number; maxPerIops: number; default: number };
  multiAttach: boolean;
}

const TiB = 1024;

export const volumeTypeRules: Readonly<Record<VolumeType, TypeRules>> = {
  gp2: { minSize: 1, maxSize: 16 * TiB, multiAttach: false },
  gp3: {
    minSize: 1,
    maxSize: 64 * TiB,
    iops: { min: 3000, max: 80_000, maxPerGiB: 500, required: false, default: 3000 },
    throughput: { min: 125, max: 2000, maxPerIops: 0.25, default: 125 },
    multiAttach: false,
  },
  io1: {
    minSize: 4,
    maxSize: 16 * TiB,
    iops: { min: 100, max: 64_000, maxPerGiB: 50, required: true },
    multiAttach: true,
  },
  io2: {
    minSize: 4,
    maxSize: 64 * TiB,
    iops: { min: 100, max: 256_000, maxPerGiB: 500, required: true },
    multiAttach: true,
  },
  st1: { minSize: 125, maxSize: 16 * TiB, multiAttach: false },
  sc1: { minSize: 125, maxSize: 16 * TiB, multiAttach: false },
  standard: { minSize: 1, maxSize: TiB, multiAttach: false },
};

/** The complete performance spec of a volume. */
export interface VolumeSpec {
  volumeType: VolumeType;
  /** GiB. */
  size: number;
  /** Provisioned IOPS (io1, io2, gp3), the baseline of gp2, 0 for st1, sc1 and standard. */
  iops: number;
  /** MiB/s provisioned (gp3); 0 for the other types, as EC2 shows none. */
  throughput: number;
  multiAttachEnabled: boolean;
}

/** What a caller asked; undefined is "not given". */
export interface VolumeSpecRequest {
  volumeType?: string | undefined;
  size?: number | undefined;
  iops?: number | undefined;
  throughput?: number | undefined;
  multiAttachEnabled?: boolean | undefined;
}

export function parseVolumeType(text: string | undefined): VolumeType {
  if (text === undefined || text === '') return defaultVolumeType;
  if (!(volumeTypes as readonly string[]).includes(text)) {
    throw invalidParameterValue(
      `Value (${text}) for parameter volumeType is invalid. Allowed values are [${volumeTypes.join(', ')}]`,
    );
  }
  return text as VolumeType;
}

/** gp2's baseline: 3 IOPS per GiB, at least 100, at most 16,000. */
export function gp2BaselineIops(size: number): number {
  return Math.min(16_000, Math.max(100, 3 * size));
}

/** EC2 prints ratios with six decimals: 266.666667, 0.250000. */
function sixDecimals(n: number): string {
  return n.toFixed(6);
}

/**
 * The spec a request gives, after every EC2 check in EC2's order: the type,
 * parameters the type does not take, size, IOPS, throughput, multi-attach.
 */
export function resolveVolumeSpec(request: VolumeSpecRequest): VolumeSpec {
  const volumeType = parseVolumeType(request.volumeType);
  const rules = volumeTypeRules[volumeType];
  if (request.iops !== undefined && !rules.iops) {
    throw invalidParameterCombination(`The parameter iops is not supported for ${volumeType} volumes.`);
  }
  if (request.throughput !== undefined && !rules.throughput) {
    throw invalidParameterCombination(`The parameter throughput is not supported for ${volumeType} volumes.`);
  }
  const size = request.size;
  if (size === undefined) {
    throw new StorageError(StorageErrorCode.MissingParameter, 'The request must contain the parameter size');
  }
  if (!Number.isInteger(size) || size < rules.minSize) {
    throw invalidParameterValue(
      `Volume of ${size}GiB is too small for volume type ${volumeType}; minimum is ${rules.minSize}GiB`,
    );
  }
  if (size > rules.maxSize) {
    throw invalidParameterValue(
      `Volume of ${size}GiB is too large for volume type ${volumeType}; maximum is ${rules.maxSize}GiB`,
    );
  }
  const iops = resolveIops(volumeType, rules, size, request.iops);
  const throughput = resolveThroughput(rules, iops, request.throughput);
  const multiAttachEnabled = request.multiAttachEnabled ?? false;
  if (multiAttachEnabled && !rules.multiAttach) {
    throw invalidParameterCombination(
      `Multi-Attach is not supported for ${volumeType} volumes; only io1 and io2 volumes can be attached to several instances.`,
    );
  }
  return { volumeType, size, iops, throughput, multiAttachEnabled };
}

function resolveIops(
  volumeType: VolumeType,
  rules: TypeRules,
  size: number,
  asked: number | undefined,
): number {
  if (volumeType === 'gp2') return gp2BaselineIops(size);
  const limits = rules.iops;
  if (!limits) return 0;
  if (asked === undefined) {
    if (limits.required || limits.default === undefined) {
      throw new StorageError(
        StorageErrorCode.MissingParameter,
        `The request must contain the parameter iops for ${volumeType} volumes.`,
      );
    }
    return limits.default;
  }
  if (!Number.isInteger(asked) || asked < limits.min) {
    throw invalidParameterValue(`Volume iops of ${asked} is too low; minimum is ${limits.min}`);
  }
  if (asked > limits.max) {
    throw invalidParameterValue(`Volume iops of ${asked} is too high; maximum is ${limits.max}`);
  }
  // gp3's baseline of 3,000 holds at any size: the ratio binds only above it.
  const baseline = limits.default ?? 0;
  if (asked > baseline && asked / size > limits.maxPerGiB) {
    throw invalidParameterValue(
      `Iops to volume size ratio of ${sixDecimals(asked / size)} is too high; maximum is ${limits.maxPerGiB}`,
    );
  }
  return asked;
}

function resolveThroughput(rules: TypeRules, iops: number, asked: number | undefined): number {
  const limits = rules.throughput;
  if (!limits) return 0;
  if (asked === undefined) return limits.default;
  if (!Number.isInteger(asked) || asked < limits.min) {
    throw invalidParameterValue(
      `Volume throughput of ${asked}MiBps is too low; minimum is ${limits.min}MiBps`,
    );
  }
  if (asked > limits.max) {
    throw invalidParameterValue(
      `Volume throughput of ${asked}MiBps is too high; maximum is ${limits.max}MiBps`,
    );
  }
  if (asked / iops > limits.maxPerIops) {
    throw invalidParameterValue(
      `Throughput (MiBps) to iops ratio of ${sixDecimals(asked / iops)} is too high; maximum is ${sixDecimals(limits.maxPerIops)} MiBps per iops`,
    );
  }
  return asked;
}

/**
 * ModifyVolume's target: the current spec with the asked changes. A volume
 * only grows; IOPS and throughput carry over while the new type takes them,
 * else the new type's defaults apply; then every rule of the type holds.
 */
export function resolveModifiedSpec(current: VolumeSpec, change: VolumeSpecRequest): VolumeSpec {
  if (
    change.size === undefined &&
    (change.volumeType === undefined || change.volumeType === '') &&
    change.iops === undefined &&
    change.throughput === undefined &&
    change.multiAttachEnabled === undefined
  ) {
    throw new StorageError(
      StorageErrorCode.MissingParameter,
      'The request must contain at least one of the parameters size, volumeType, iops, throughput or multiAttachEnabled',
    );
  }
  if (change.size !== undefined && change.size < current.size) {
    throw invalidParameterValue(
      `New size cannot be smaller than existing size. Current size: ${current.size}GiB, requested size: ${change.size}GiB`,
    );
  }
  const volumeType = change.volumeType ? parseVolumeType(change.volumeType) : current.volumeType;
  const rules = volumeTypeRules[volumeType];
  const keepIops = volumeType !== 'gp2' && rules.iops && volumeTypeRules[current.volumeType].iops;
  const keepThroughput = rules.throughput && volumeTypeRules[current.volumeType].throughput;
  return resolveVolumeSpec({
    volumeType,
    size: change.size ?? current.size,
    iops: change.iops ?? (keepIops ? current.iops : undefined),
    throughput: change.throughput ?? (keepThroughput ? current.throughput : undefined),
    multiAttachEnabled: change.multiAttachEnabled ?? (rules.multiAttach ? current.multiAttachEnabled : false),
  });
}
