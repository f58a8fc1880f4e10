/**
 * A raw disk image holding an ext4 file system made from a directory, with
 * `mke2fs -d` (e2fsprogs): no root, no loop device, no mount. The file is
 * written under a temporary name and renamed into place, so a file at the
 * final path is always whole.
 */
import { execFile } from 'node:child_process';
import { open, rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** 1 GiB: the smallest EBS volume, and room enough for the provided images. */
export const diskImageBytes = 1024 ** 3;

export async function makeExt4Image(contentDir: string, path: string, label: string): Promise<void> {
  const partial = `${path}.partial-${process.pid}`;
  try {
    const file = await open(partial, 'w');
    try {
      await file.truncate(diskImageBytes);
    } finally {
      await file.close();
    }
    // -F: the target is a regular file; -L: a label that says what it is (at most 16 bytes).
    await run('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', label.slice(0, 16), '-d', contentDir, partial]);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/** Refuses, with what to do, when mke2fs cannot be run: the provided images cannot be made without it. */
export async function checkMke2fs(): Promise<void> {
  try {
    await run('mke2fs', ['-V']);
  } catch (error) {
    throw new Error(
      'mke2fs (e2fsprogs) cannot be run, and the image service makes the provided images with it: install e2fsprogs, or set NIMBUS_PROVIDED_IMAGES=false to start without them',
      { cause: error },
    );
  }
}
