import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { checkHealth } from './health-check.js';
import { EchoService } from './testing/echo-service.js';
import { startEchoServer } from './testing/start-echo.js';

const reflectionProto = join(
  dirname(createRequire(import.meta.url).resolve('@grpc/reflection/package.json')),
  'build/proto/grpc/reflection/v1/reflection.proto',
);

/** A raw reflection client: one list_services request on the bidi stream. */
function listServices(address: string): Promise<string[]> {
  // biome-ignore lint/suspicious/noExplicitAny: a dynamically loaded gRPC client has no static type.
  const loaded = loadPackageDefinition(loadSync(reflectionProto)) as any;
  const client = new loaded.grpc.reflection.v1.ServerReflection(address, credentials.createInsecure());
  return new Promise<string[]>((resolve, reject) => {
    const call = client.serverReflectionInfo();
    call.on('data', (response: { listServicesResponse?: { service: { name: string }[] } }) => {
      resolve((response.listServicesResponse?.service ?? []).map((service) => service.name));
      call.end();
    });
    call.on('error', reject);
    call.write({ listServices: '*' });
  }).finally(() => client.close());
}

describe('health', () => {
  it('reports every registered service and the server as SERVING once listening', async () => {
    const fixture = await startEchoServer();
    expect(await checkHealth(fixture.address, 'nimbus.testing.v1.EchoService')).toBe('SERVING');
    expect(await checkHealth(fixture.address, '')).toBe('SERVING');
    expect(await checkHealth(fixture.address, 'nimbus.nothing.v1.Nothing')).toBe('SERVICE_UNKNOWN');
    fixture.server.health.set(EchoService, 'NOT_SERVING');
    expect(await checkHealth(fixture.address, 'nimbus.testing.v1.EchoService')).toBe('NOT_SERVING');
    await fixture.stop();
  });

  it('answers without credentials even when calls need them', async () => {
    const { staticTokens } = await import('./authenticator.js');
    const fixture = await startEchoServer({ authenticator: staticTokens({ t: '111111111111' }) });
    expect(await checkHealth(fixture.address, 'nimbus.testing.v1.EchoService')).toBe('SERVING');
    expect(await listServices(fixture.address)).toContain('nimbus.testing.v1.EchoService');
    await fixture.stop();
  });

  it('finishes the calls in flight on shutdown, then stops answering', async () => {
    const fixture = await startEchoServer();
    const client = createClient(EchoService, fixture.address);
    const inFlight = client.echo({ message: 'late', delayMs: 400 });
    await expect(checkHealth(fixture.address, '')).resolves.toBe('SERVING');
    const stopped = fixture.server.shutdown(5_000);
    expect(fixture.server.state).toBe('stopping');
    expect((await inFlight).message).toBe('late');
    await stopped;
    expect(fixture.server.state).toBe('stopped');
    expect(await checkHealth(fixture.address, '', { timeoutMs: 500 })).toBe('UNREACHABLE');
    client.close();
  });
});

describe('reflection', () => {
  it('lists the registered service and grpc health', async () => {
    const fixture = await startEchoServer();
    const services = await listServices(fixture.address);
    expect(services).toContain('nimbus.testing.v1.EchoService');
    expect(services).toContain('grpc.health.v1.Health');
    await fixture.stop();
  });
});
