import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type S3Server, startS3 } from '@nimbus/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BlockBackend } from './block-backend.js';
import { createChunkStore } from './chunk-store.js';
import { SnapshotExistsError } from './errors.js';
import { runRandomHistory } from './random-history.js';
import {
  createS3BlockBackend,
  createS3Client,
  createS3ManifestStore,
  parseS3Url,
  type S3Location,
} from './s3-chunk-backend.js';
import {
  makeTempDir,
  randomBytesFrom,
  removeTempDirs,
  seededRandom,
  sha256OfFile,
  writeVolume,
} from './test-volumes.js';

let s3: S3Server;
let client: S3Client;
beforeAll(async () => {
  s3 = await startS3(['chunks']);
  client = createS3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    forcePathStyle: true,
  });
});
afterAll(async () => {
  client?.destroy();
  await s3?.dispose();
});

let dir: string;
/** Each test under a prefix of its own in the one bucket. */
let location: S3Location;
beforeEach(async () => {
  dir = await makeTempDir();
  location = parseS3Url(`s3://chunks/region-${randomUUID()}`);
});
afterEach(removeTempDirs);

const storeOn = (blockSize: number, blocks: BlockBackend = createS3BlockBackend(client, location)) =>
  createChunkStore({ blocks, manifests: createS3ManifestStore(client, location), blockSize });

async function countBlocks(): Promise<number> {
  let n = 0;
  for await (const _ of createS3BlockBackend(client, location).list()) n++;
  return n;
}

describe('s3:// urls', () => {
  it('name a bucket and a key prefix', () => {
    expect(parseS3Url('s3://nimbus-chunks')).toEqual({ bucket: 'nimbus-chunks', prefix: '' });
    expect(parseS3Url('s3://nimbus-chunks/region/a/')).toEqual({
      bucket: 'nimbus-chunks',
      prefix: 'region/a/',
    });
    expect(() => parseS3Url('http://x/y')).toThrow('not an s3://bucket/prefix url');
    expect(() => parseS3Url('s3://A_B')).toThrow('not an s3://bucket/prefix url');
  });
});

describe('chunk store on an S3-compatible server', () => {
  it('restores the exact bytes, stores about 1% new after 1% changed, and keeps blocks and manifests as objects', async () => {
    const BLOCK = 64 * 1024;
    const volume = join(dir, 'vol');
    const random = seededRandom(21);
    await writeVolume(volume, 100 * BLOCK, [{ offset: 0, bytes: randomBytesFrom(random, 100 * BLOCK) }]);
    const store = storeOn(BLOCK);
    await store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume });
    expect(await countBlocks()).toBe(100);
    await writeVolume(volume, 100 * BLOCK, [{ offset: 50 * BLOCK, bytes: randomBytesFrom(random, BLOCK) }]);
    await store.createSnapshot({ snapshotId: 'snap-2', volumePath: volume, parentSnapshotId: 'snap-1' });
    expect(await countBlocks()).toBe(101);
    const restored = join(dir, 'restored');
    await store.restoreSnapshot({ snapshotId: 'snap-2', volumePath: restored });
    expect(await sha256OfFile(restored)).toBe(await sha256OfFile(volume));
    expect(await store.listSnapshots()).toEqual(['snap-1', 'snap-2']);

    // Create-only manifests: a second snapshot under a taken id is refused and the first stays.
    await expect(store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume })).rejects.toBeInstanceOf(
      SnapshotExistsError,
    );
    expect((await store.getManifest('snap-1')).blocks).toHaveLength(100);

    // Deleting frees only the blocks no other snapshot uses.
    expect(await store.deleteSnapshot('snap-1')).toEqual({ blocksFreed: 1 });
    expect(await countBlocks()).toBe(100);
  });

  it.each([1, 2])(
    'random history, seed %i: snapshots stay exact and sweeps keep exactly the referenced blocks',
    async (seed) => {
      await runRandomHistory({
        seed,
        steps: 20,
        blockSize: 4096,
        minBlocks: 8,
        extraBlocks: 16,
        dir,
        open: () => storeOn(4096),
        blocks: createS3BlockBackend(client, location),
      });
    },
  );

  it('an aborted snapshot writes no manifest, and its blocks are collected while other snapshots stay whole', async () => {
    const BLOCK = 64 * 1024;
    const volume = join(dir, 'vol');
    await writeVolume(volume, 32 * BLOCK, [
      { offset: 0, bytes: randomBytesFrom(seededRandom(11), 32 * BLOCK) },
    ]);
    const store = storeOn(BLOCK);
    await store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume });
    const kept = await sha256OfFile(volume);
    await writeVolume(volume, 32 * BLOCK, [
      { offset: 0, bytes: randomBytesFrom(seededRandom(12), 32 * BLOCK) },
    ]);
    const abort = new AbortController();
    await expect(
      store.createSnapshot({
        snapshotId: 'snap-2',
        volumePath: volume,
        signal: abort.signal,
        onProgress: ({ blocksDone }) => {
          if (blocksDone === 10) abort.abort(new Error('stopped by the test'));
        },
      }),
    ).rejects.toThrow('stopped by the test');
    expect(await store.listSnapshots()).toEqual(['snap-1']);
    const orphans = (await countBlocks()) - 32;
    expect(orphans).toBeGreaterThanOrEqual(10);
    expect(orphans).toBeLessThan(32);
    expect(await store.collectGarbage()).toEqual({ blocksFreed: orphans, leftoversRemoved: 0 });
    expect(await countBlocks()).toBe(32);
    const restored = join(dir, 'restored');
    await store.restoreSnapshot({ snapshotId: 'snap-1', volumePath: restored });
    expect(await sha256OfFile(restored)).toBe(kept);
  });

  it('a put failing mid-snapshot leaves no manifest; what a killed process left is collected', async () => {
    const BLOCK = 64 * 1024;
    const volume = join(dir, 'vol');
    await writeVolume(volume, 32 * BLOCK, [
      { offset: 0, bytes: randomBytesFrom(seededRandom(13), 32 * BLOCK) },
    ]);
    const s3Blocks = createS3BlockBackend(client, location);
    let puts = 0;
    const failing: BlockBackend = {
      ...s3Blocks,
      put: async (hash, data) => {
        if (++puts === 10) throw new Error('bucket full');
        await s3Blocks.put(hash, data);
      },
    };
    const store = storeOn(BLOCK, failing);
    await expect(store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume })).rejects.toThrow(
      'bucket full',
    );
    expect(await store.listSnapshots()).toEqual([]);
    // As a process killed mid-snapshot leaves it: a block object no manifest names.
    await client.send(
      new PutObjectCommand({
        Bucket: location.bucket,
        Key: `${location.prefix}blocks/ab/${'ab'.repeat(31)}`,
        Body: Buffer.alloc(BLOCK, 7),
      }),
    );
    const written = await countBlocks();
    expect(written).toBeGreaterThanOrEqual(10);
    expect(await store.collectGarbage()).toEqual({ blocksFreed: written, leftoversRemoved: 0 });
    expect(await countBlocks()).toBe(0);
  });
});
