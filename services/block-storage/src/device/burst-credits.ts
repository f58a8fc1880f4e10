/**
 * The gp2 credit bucket kept beside the volume's file, `<volume file>.credits`:
 * the IOPS limiter writes what it counted (credits left and when, in epoch
 * ms) every tick and reads it back when the volume is attached again, so the
 * bucket outlives a detach; block storage reads it for BurstBalance. While
 * no limiter runs the bucket refills at the baseline rate, as EBS's does when
 * a volume is idle, so a reader adds what was earned since the file was written.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { DeviceNumber } from './loop-device.js';

export interface CreditRecord {
  /** Credits left when written. */
  credits: number;
  /** The bucket's size. */
  capacity: number;
  /** Credits earned per second (the baseline IOPS). */
  baseline: number;
  /** When written, epoch ms. */
  atMs: number;
}

export function creditFileOf(volumeFile: string): string {
  return `${volumeFile}.credits`;
}

/** The credits at `nowMs`: what was left plus what the baseline earned since, at most a full bucket. */
export function creditsAt(record: CreditRecord, nowMs: number): number {
  const earned = (record.baseline * Math.max(0, nowMs - record.atMs)) / 1000;
  return Math.min(record.capacity, record.credits + earned);
}

export async function readCreditFile(path: string): Promise<CreditRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(path, 'utf8')) as CreditRecord;
    const numbers = [record.credits, record.capacity, record.baseline, record.atMs];
    return numbers.every((n) => typeof n === 'number' && Number.isFinite(n)) && record.capacity > 0
      ? record
      : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole (a temporary file renamed over it), so a reader never sees half a record. */
export async function writeCreditFile(path: string, record: CreditRecord): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(record));
  await rename(temporary, path);
}

/** The file behind a loop device (from sysfs), or undefined when it is not a loop device or its file is gone. */
export async function backingFileOf(device: DeviceNumber): Promise<string | undefined> {
  try {
    const text = (
      await readFile(`/sys/dev/block/${device.major}:${device.minor}/loop/backing_file`, 'utf8')
    ).trim();
    return text === '' || text.endsWith(' (deleted)') ? undefined : text;
  } catch {
    return undefined;
  }
}
