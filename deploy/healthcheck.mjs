#!/usr/bin/env node
/**
 * The container health check: asks a Nimbus service's grpc.health.v1 whether
 * it is SERVING. Exit 0 when it is, 1 otherwise (NOT_SERVING, unknown service,
 * no answer within the timeout), printing what it found.
 *
 *   node deploy/healthcheck.mjs [host:port] [service]
 *
 * Without an address it probes NIMBUS_LISTEN's port on 127.0.0.1 (a service
 * bound to 0.0.0.0 answers there too). The gRPC libraries are the runtime
 * package's own, so the script needs nothing beyond the built image.
 */
import { createRequire } from 'node:module';

const require = createRequire(new URL('../packages/runtime/package.json', import.meta.url));
const { credentials, makeClientConstructor } = require('@grpc/grpc-js');
const { service: healthService } = require('grpc-health-check');

function defaultAddress() {
  const listen = process.env.NIMBUS_LISTEN ?? '';
  const port = /:(\d+)$/.exec(listen)?.[1];
  if (!port || port === '0') {
    console.error(`healthcheck: no address given and NIMBUS_LISTEN ('${listen}') names no fixed port`);
    process.exit(2);
  }
  return `127.0.0.1:${port}`;
}

const address = process.argv[2] || defaultAddress();
const service = process.argv[3] ?? '';
const timeoutMs = Number(process.env.NIMBUS_HEALTHCHECK_TIMEOUT_MS ?? 3000);
const Health = makeClientConstructor(healthService, 'grpc.health.v1.Health');
const client = new Health(address, credentials.createInsecure());
client.check({ service }, { deadline: Date.now() + timeoutMs }, (error, response) => {
  client.close();
  if (error) {
    console.error(`healthcheck: ${address} ${service || '(server)'}: ${error.details || error.message}`);
    process.exit(1);
  }
  const status = response?.status ?? 'UNKNOWN';
  console.log(`healthcheck: ${address} ${service || '(server)'}: ${status}`);
  process.exit(status === 'SERVING' ? 0 : 1);
});
