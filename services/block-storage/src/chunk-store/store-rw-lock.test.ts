import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { openEtcdStore, type Store } from '@nimbus/store';
import { type EtcdServer, type S3Server, startEtcd, startS3, waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockBackend } from './block-backend.js';
import { createChunkStore } from './chunk-store.js';
import {
  createS3BlockBackend,
  createS3Client,
  createS3ManifestStore,
  parseS3Url,
} from './s3-chunk-backend.js';
import { createStoreRwLock } from './store-rw-lock.js';
import {
  makeTempDir,
  randomBytesFrom,
  removeTempDirs,
  seededRandom,
  sha256OfFile,
  writeVolume,
} from './test-volumes.js';

let etcd: EtcdServer | undefined;
let s3: S3Server | undefined;
let client: S3Client | undefined;
/** Two replicas: each its own store connection, chunk store and lock, on one etcd and one bucket. */
const stores: Store[] = [];
beforeAll(async () => {
  [etcd, s3] = await Promise.all([startEtcd(), startS3(['shared'])]);
  const namespace = `/t-${randomUUID()}`;
  for (let i = 0; i < 2; i++) stores.push(await openEtcdStore({ endpoints: [etcd.endpoint], namespace }));
  client = createS3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    forcePathStyle: true,
  });
});
afterAll(async () => {
  client?.destroy();
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all([etcd?.dispose(), s3?.dispose()]);
  await removeTempDirs();
});

describe('a chunk store several replicas share', () => {
  it("does not free the blocks of another replica's snapshot in flight: its sweep waits for it", async () => {
    const BLOCK = 64 * 1024;
    const location = parseS3Url(`s3://shared/r-${randomUUID()}`);
    const s3Client = client as S3Client;
    const dir = await makeTempDir();
    const volume = join(dir, 'vol');
    await writeVolume(volume, 16 * BLOCK, [
      { offset: 0, bytes: randomBytesFrom(seededRandom(5), 16 * BLOCK) },
    ]);

    // Replica A's puts stop after the third block until the test lets them go on.
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let puts = 0;
    const blocksA = createS3BlockBackend(s3Client, location);
    const gated: BlockBackend = {
      ...blocksA,
      put: async (hash, data) => {
        if (++puts >= 3) await gate;
        await blocksA.put(hash, data);
      },
    };
    const replica = (store: Store, blocks: BlockBackend) =>
      createChunkStore({
        blocks,
        manifests: createS3ManifestStore(s3Client, location),
        blockSize: BLOCK,
        sharedLock: createStoreRwLock(store, { name: location.prefix, pollMs: 25 }),
      });
    const a = replica(stores[0] as Store, gated);
    const b = replica(stores[1] as Store, createS3BlockBackend(s3Client, location));

    const snapshot = a.createSnapshot({ snapshotId: 'snap-a', volumePath: volume });
    await waitUntil(async () => puts >= 3, { timeoutMs: 30_000, message: "A's snapshot under way" });
    // B sweeps meanwhile: it must wait, holding the writer's place, until A's snapshot is done.
    const sweep = b.collectGarbage();
    const writers = `/nimbus/storage/chunk-locks/${encodeURIComponent(location.prefix)}/writers/`;
    await waitUntil(async () => (await (stores[1] as Store).list(writers)).items.length === 1, {
      timeoutMs: 30_000,
      message: "B's sweep waiting for A",
    });
    release();
    await snapshot;
    expect(await sweep).toEqual({ blocksFreed: 0, leftoversRemoved: 0 });

    const restored = join(dir, 'restored');
    await b.restoreSnapshot({ snapshotId: 'snap-a', volumePath: restored });
    expect(await sha256OfFile(restored)).toBe(await sha256OfFile(volume));
    // And the lock is free again: B deletes the snapshot and frees its blocks.
    expect(await b.deleteSnapshot('snap-a')).toEqual({ blocksFreed: 16 });
  });
});
