import { readConfig } from '@nimbus/runtime';
import { describe, expect, it } from 'vitest';
import { chunkStoreOf, storageConfigSpec } from './storage-config.js';

const settings = (env: Record<string, string>) => readConfig(storageConfigSpec, env);

describe('the chunk store setting', () => {
  it('is the storage root by default, or an S3 bucket and prefix with its connection', () => {
    expect(chunkStoreOf(settings({}), '/srv/storage')).toEqual({
      kind: 'local',
      root: '/srv/storage/chunks',
    });
    expect(
      chunkStoreOf(
        settings({
          NIMBUS_CHUNK_STORE: 's3://nimbus/region-1',
          NIMBUS_S3_ENDPOINT: 'http://127.0.0.1:9000',
          NIMBUS_S3_ACCESS_KEY_ID: 'key',
          NIMBUS_S3_SECRET_ACCESS_KEY: 'secret',
        }),
        '/srv/storage',
      ),
    ).toEqual({
      kind: 's3',
      location: { bucket: 'nimbus', prefix: 'region-1/' },
      connection: {
        region: 'us-east-1',
        forcePathStyle: true,
        endpoint: 'http://127.0.0.1:9000',
        credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
      },
    });
  });

  it('names every wrong setting at once', () => {
    expect(() =>
      chunkStoreOf(settings({ NIMBUS_CHUNK_STORE: 'ftp://x', NIMBUS_S3_ACCESS_KEY_ID: 'key' }), '/srv'),
    ).toThrow(
      /NIMBUS_CHUNK_STORE is 'ftp:\/\/x', expected empty or s3:\/\/bucket\/prefix[\s\S]*NIMBUS_S3_SECRET_ACCESS_KEY NIMBUS_S3_ACCESS_KEY_ID and NIMBUS_S3_SECRET_ACCESS_KEY go together/,
    );
  });
});
