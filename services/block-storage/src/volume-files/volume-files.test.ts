import { execFile } from 'node:child_process';
import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVolumeFiles } from './volume-files.js';

const run = promisify(execFile);
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
let root = '';

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'nimbus-volume-files-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The ext4 superblock's magic number (0xEF53 at byte 1080), or 0. */
async function ext4Magic(path: string): Promise<number> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(2);
    await file.read(buffer, 0, 2, 1024 + 56);
    return buffer.readUInt16LE(0);
  } finally {
    await file.close();
  }
}

describe('volume files', () => {
  it('gives a blank volume a clean ext4 filesystem of its whole size, in a sparse file', async () => {
    const files = createVolumeFiles(root, 'ext4');
    await files.create('vol-0123456789abcdef0', 2, { blank: true });
    const path = files.pathOf('vol-0123456789abcdef0');
    expect(await ext4Magic(path)).toBe(0xef53);
    // e2fsck -n exits 0 only for a filesystem without errors.
    await run('e2fsck', ['-f', '-n', path]);
    const { stdout } = await run('dumpe2fs', ['-h', path], { env: { ...process.env, LC_ALL: 'C' } });
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(stdout)?.[1]);
    expect(field('Block count') * field('Block size')).toBe(2 * GiB);
    const info = await stat(path);
    expect(info.size).toBe(2 * GiB);
    expect(info.blocks * 512).toBeLessThan(16 * MiB);
  });

  it('makes ext4 on a 4 TiB volume in seconds with little disk, thanks to lazy init', async () => {
    const files = createVolumeFiles(root, 'ext4');
    const started = performance.now();
    await files.create('vol-0123456789abcdef1', 4096, { blank: true });
    expect(performance.now() - started).toBeLessThan(10_000);
    const path = files.pathOf('vol-0123456789abcdef1');
    expect(await ext4Magic(path)).toBe(0xef53);
    expect((await stat(path)).blocks * 512).toBeLessThan(256 * MiB);
  });

  it('leaves a volume for a snapshot, or with filesystem none, all zeros', async () => {
    const withExt4 = createVolumeFiles(root, 'ext4');
    await withExt4.create('vol-0123456789abcdef2', 1);
    expect(await ext4Magic(withExt4.pathOf('vol-0123456789abcdef2'))).toBe(0);
    const none = createVolumeFiles(root, 'none');
    await none.create('vol-0123456789abcdef3', 1, { blank: true });
    expect(await ext4Magic(none.pathOf('vol-0123456789abcdef3'))).toBe(0);
    expect((await stat(none.pathOf('vol-0123456789abcdef3'))).blocks).toBe(0);
  });

  it('leaves no file when the volume cannot be made', async () => {
    const files = createVolumeFiles(root, 'ext4');
    // 1 PiB: beyond what an ext4 host holds in one file (16 TiB).
    await expect(files.create('vol-0123456789abcdef4', 1024 ** 2, { blank: true })).rejects.toMatchObject({
      code: 'InsufficientVolumeCapacity',
    });
    expect(await readdir(join(root, 'volumes'))).toEqual([]);
  });
});
