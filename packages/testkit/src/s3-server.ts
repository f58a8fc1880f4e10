import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What this kit uses of s3rver (a pure-JS S3-compatible server, CommonJS, without types of its own). */
interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

/**
 * An S3-compatible server (s3rver) on 127.0.0.1 and a port the system picks,
 * in this process, its objects in a temporary directory removed by `dispose`.
 * It checks SigV4 signatures against its one key pair, `S3RVER`/`S3RVER`.
 * Known differences from S3: no conditional writes (If-None-Match is ignored),
 * no multipart listing, objects as files (slower, not for benchmarks).
 */
export class S3Server {
  readonly accessKeyId = 'S3RVER';
  readonly secretAccessKey = 'S3RVER';
  readonly region = 'us-east-1';
  port = 0;
  #server: S3rverInstance | undefined;
  #directory = '';

  constructor(readonly buckets: readonly string[]) {}

  /** e.g. `http://127.0.0.1:41235`; clients use path-style addressing (forcePathStyle). */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
    this.#directory = await mkdtemp(join(tmpdir(), 'nimbus-s3-'));
    this.#server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: this.#directory,
      configureBuckets: this.buckets.map((name) => ({ name })),
    });
    const address = await this.#server.run();
    this.port = address.port;
  }

  async dispose(): Promise<void> {
    await this.#server?.close();
    this.#server = undefined;
    if (this.#directory) await rm(this.#directory, { recursive: true, force: true });
  }
}

/** Starts an S3-compatible server with these buckets (default one, `nimbus-test`). */
export async function startS3(buckets: readonly string[] = ['nimbus-test']): Promise<S3Server> {
  const server = new S3Server(buckets);
  try {
    await server.start();
  } catch (error) {
    await server.dispose();
    throw error;
  }
  return server;
}
