import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startS3 } from './s3-server.js';

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('startS3', () => {
  it('serves its buckets on a loopback port and lets it go on dispose', async () => {
    const s3 = await startS3(['first', 'second']);
    try {
      expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const listing = await (await fetch(`${s3.endpoint}/second`)).text();
      expect(listing).toContain('<Name>second</Name>');
      expect((await fetch(`${s3.endpoint}/missing`)).status).toBe(404);
    } finally {
      await s3.dispose();
    }
    expect(await canConnect(s3.port)).toBe(false);
  });
});
