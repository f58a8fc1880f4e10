import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from './config.js';

const spec = {
  etcd: { env: 'NIMBUS_ETCD_ENDPOINTS', required: true, parse: 'list', description: 'etcd client URLs' },
  nats: { env: 'NIMBUS_NATS_URL', required: true, description: 'NATS server URL' },
  port: { env: 'NIMBUS_PORT', parse: 'port', default: 50051, description: 'gRPC listen port' },
  debug: { env: 'NIMBUS_DEBUG', parse: 'bool', description: 'verbose diagnostics' },
  grace: { env: 'NIMBUS_GRACE', parse: 'duration', default: 10_000, description: 'shutdown grace period' },
  workers: { env: 'NIMBUS_WORKERS', parse: 'int', description: 'reconcile workers' },
} as const;

describe('readConfig', () => {
  it('parses each kind and applies defaults', () => {
    const config = readConfig(spec, {
      NIMBUS_ETCD_ENDPOINTS: 'http://127.0.0.1:2379, http://127.0.0.1:2380,',
      NIMBUS_NATS_URL: 'nats://127.0.0.1:4222',
      NIMBUS_DEBUG: 'yes',
      NIMBUS_GRACE: '2m',
    });
    expect(config).toEqual({
      etcd: ['http://127.0.0.1:2379', 'http://127.0.0.1:2380'],
      nats: 'nats://127.0.0.1:4222',
      port: 50051,
      debug: true,
      grace: 120_000,
    });
    const port: number = config.port;
    const workers: number | undefined = config.workers;
    expect([port, workers]).toEqual([50051, undefined]);
  });

  it('lists every missing and invalid variable with its description in one error', () => {
    let thrown: unknown;
    try {
      readConfig(spec, {
        NIMBUS_PORT: '70000',
        NIMBUS_DEBUG: 'maybe',
        NIMBUS_GRACE: 'soon',
        NIMBUS_WORKERS: '',
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const error = thrown as ConfigError;
    expect(error.problems.map((problem) => problem.env)).toEqual([
      'NIMBUS_ETCD_ENDPOINTS',
      'NIMBUS_NATS_URL',
      'NIMBUS_PORT',
      'NIMBUS_DEBUG',
      'NIMBUS_GRACE',
    ]);
    expect(error.message).toContain('NIMBUS_ETCD_ENDPOINTS is required: etcd client URLs');
    expect(error.message).toContain('NIMBUS_NATS_URL is required: NATS server URL');
    expect(error.message).toContain(
      "NIMBUS_PORT must be a port number (0-65535), got '70000': gRPC listen port",
    );
    expect(error.message).toContain("NIMBUS_DEBUG must be true or false, got 'maybe'");
    expect(error.message).toContain(
      "NIMBUS_GRACE must be a duration such as 500ms, 5s, 2m or 1h, got 'soon'",
    );
  });
});
