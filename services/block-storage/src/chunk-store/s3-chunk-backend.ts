/**
 * The chunk store on an S3-compatible object store, for regions of several
 * machines: blocks are objects `<prefix>blocks/ab/cdef…`, manifests
 * `<prefix>snapshots/<snapshotId>.json`.
 *
 * A PutObject is atomic (an object is absent or whole) and durable once
 * acknowledged, so `sync` has nothing to do, and since blocks and manifests
 * are written with single PutObjects (never multipart) an interrupted write
 * leaves nothing behind. A manifest is written create-only: with
 * `If-None-Match: *` where the server honours it (AWS S3, MinIO), after a
 * HEAD that finds no such manifest everywhere (servers that ignore the
 * condition leave a window between the two, harmless for snapshot ids, which
 * are random and written once).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { BLOCK_HASH, type BlockBackend } from './block-backend.js';
import { BlockNotFoundError, SnapshotExistsError, SnapshotNotFoundError } from './errors.js';
import { type ManifestStore, SNAPSHOT_ID, validateManifest } from './manifest.js';

export interface S3Location {
  bucket: string;
  /** Key prefix, empty or ending in `/`. */
  prefix: string;
}

/** `s3://bucket/some/prefix` to its bucket and prefix (`some/prefix/`). */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/.*)?$/.exec(url);
  if (!match?.[1]) throw new TypeError(`not an s3://bucket/prefix url: ${url}`);
  const path = (match[2] ?? '').replace(/^\/+/, '').replace(/\/+$/, '');
  return { bucket: match[1], prefix: path === '' ? '' : `${path}/` };
}

export interface S3ConnectionOptions {
  /** e.g. http://127.0.0.1:9000; default AWS's endpoint for the region. */
  endpoint?: string;
  region: string;
  /** Default: the AWS SDK's credential chain (AWS_ACCESS_KEY_ID, profiles, ...). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Path-style addressing (http://host/bucket/key), which most self-hosted servers need. */
  forcePathStyle: boolean;
}

export function createS3Client(options: S3ConnectionOptions): S3Client {
  const config: S3ClientConfig = { region: options.region, forcePathStyle: options.forcePathStyle };
  if (options.endpoint) config.endpoint = options.endpoint;
  if (options.credentials) config.credentials = options.credentials;
  return new S3Client(config);
}

const isMissing = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
};

async function bodyBytes(body: unknown): Promise<Buffer> {
  const stream = body as { transformToByteArray?: () => Promise<Uint8Array> } | undefined;
  if (!stream?.transformToByteArray) return Buffer.alloc(0);
  const bytes = await stream.transformToByteArray();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

async function* keysUnder(client: S3Client, bucket: string, prefix: string): AsyncIterable<string> {
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) if (object.Key) yield object.Key;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

async function exists(client: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

export function createS3BlockBackend(client: S3Client, location: S3Location): BlockBackend {
  const { bucket } = location;
  const root = `${location.prefix}blocks/`;
  const keyOf = (hash: string) => {
    if (!BLOCK_HASH.test(hash)) throw new TypeError(`not a block hash: ${hash}`);
    return `${root}${hash.slice(0, 2)}/${hash.slice(2)}`;
  };
  return {
    async put(hash, data) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: keyOf(hash), Body: data }));
    },
    async get(hash) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: keyOf(hash) }));
        return await bodyBytes(object.Body);
      } catch (error) {
        if (isMissing(error)) throw new BlockNotFoundError(hash);
        throw error;
      }
    },
    has: (hash) => exists(client, bucket, keyOf(hash)),
    async delete(hash) {
      // Deleting an absent key succeeds on S3.
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: keyOf(hash) }));
    },
    async *list() {
      for await (const key of keysUnder(client, bucket, root)) {
        const hash = key.slice(root.length).replace('/', '');
        if (BLOCK_HASH.test(hash)) yield hash;
      }
    },
    // Acknowledged PutObjects are durable.
    async sync() {},
    // Single PutObjects leave nothing behind when interrupted.
    async removeLeftovers() {
      return 0;
    },
  };
}

export function createS3ManifestStore(client: S3Client, location: S3Location): ManifestStore {
  const { bucket } = location;
  const root = `${location.prefix}snapshots/`;
  const keyOf = (snapshotId: string) => {
    if (!SNAPSHOT_ID.test(snapshotId)) throw new TypeError(`not a snapshot id: ${snapshotId}`);
    return `${root}${snapshotId}.json`;
  };
  return {
    async create(manifest) {
      const key = keyOf(manifest.snapshotId);
      if (await exists(client, bucket, key)) throw new SnapshotExistsError(manifest.snapshotId);
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: JSON.stringify(manifest),
            ContentType: 'application/json',
            IfNoneMatch: '*',
          }),
        );
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 412 || status === 409) throw new SnapshotExistsError(manifest.snapshotId);
        throw error;
      }
    },
    async get(snapshotId) {
      let text: string;
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: keyOf(snapshotId) }));
        text = (await bodyBytes(object.Body)).toString('utf8');
      } catch (error) {
        if (isMissing(error)) throw new SnapshotNotFoundError(snapshotId);
        throw error;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return validateManifest(snapshotId, parsed);
    },
    async delete(snapshotId) {
      const key = keyOf(snapshotId);
      if (!(await exists(client, bucket, key))) return false;
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    },
    async list() {
      const ids: string[] = [];
      for await (const key of keysUnder(client, bucket, root)) {
        const name = key.slice(root.length);
        if (name.endsWith('.json') && !name.includes('/')) ids.push(name.slice(0, -'.json'.length));
      }
      return ids.sort();
    },
    async removeLeftovers() {
      return 0;
    },
  };
}
