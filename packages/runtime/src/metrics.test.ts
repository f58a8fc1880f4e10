import { createEmbeddedEventBus } from '@nimbus/events';
import { createEmbeddedStore } from '@nimbus/store';
import { waitUntil } from '@nimbus/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { createLogger } from './logger.js';
import { type HostedService, hostServiceModule, type ServiceModule } from './service-module.js';
import { EchoService, echoService } from './testing/echo-service.js';

const token = 'metrics-test-token';
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function scrape(hosted: HostedService): Promise<string> {
  const response = await fetch(`http://${hosted.metricsAddress}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of the sample `name` with exactly these labels (in any order), if exposed. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries({ ...labels, service: 'echo' })
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (match?.[1] === name && match[2]?.split(',').sort().join(',') === wanted) return Number(match[3]);
  }
  return undefined;
}

describe('service metrics', () => {
  it('counts calls by method and EC2 code, times them, the store and event delivery, and shows controllers', async () => {
    const store = createEmbeddedStore();
    const bus = createEmbeddedEventBus();
    let delivered = 0;
    const module: ServiceModule = {
      name: 'echo',
      async start(context) {
        context.metrics.watchController({
          metrics: () => ({
            controller: 'echo-controller',
            queueDepth: 3,
            delayed: 1,
            reconciles: 7,
            errors: 2,
            terminalErrors: 0,
            durationMs: { p50: 4, p99: 40, max: 50 },
          }),
        });
        await context.store.create('/echo/one', 'x');
        context.metrics.gauge({
          name: 'nimbus_echo_things',
          help: 'things by colour',
          labelNames: ['colour'],
          collect: () => [
            { labels: { colour: 'red' }, value: 2 },
            { labels: { colour: 'blue' }, value: 5 },
          ],
        });
        await context.bus.subscribe({
          durable: 'echo-metrics',
          subjects: ['nimbus.echo.thing.>'],
          handler: async () => {
            delivered += 1;
          },
        });
        return {
          services: [{ service: EchoService, impl: echoService }],
          async run(signal) {
            await context.bus.publish({ subject: 'nimbus.echo.thing.happened' });
            await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
          },
        };
      },
    };
    const hosted = await hostServiceModule(module, {
      store,
      bus,
      logger: createLogger({ service: 'echo', level: 'silent' }),
      env: { NIMBUS_AUTH_TOKENS: `${token}=111111111111` },
    });
    stops.push(async () => {
      await hosted.stop();
      await bus.close();
      await store.close();
    });
    expect(hosted.metricsAddress).toMatch(/^127\.0\.0\.1:\d+$/);

    const client = createClient(EchoService, hosted.address, { token });
    const stranger = createClient(EchoService, hosted.address, { token: 'unknown' });
    stops.push(async () => {
      client.close();
      stranger.close();
    });
    await client.echo({ message: 'a' });
    await client.echo({ message: 'b' });
    await client
      .fail({ code: 'InvalidInstanceID.NotFound', message: 'no such instance' })
      .catch(() => undefined);
    await stranger.echo({ message: 'c' }).catch(() => undefined);
    await waitUntil(() => delivered === 1, { timeoutMs: 5_000 });

    const text = await scrape(hosted);
    const echo = '/nimbus.testing.v1.EchoService/Echo';
    const fail = '/nimbus.testing.v1.EchoService/Fail';
    expect(sample(text, 'nimbus_grpc_requests_total', { method: echo, code: 'OK' })).toBe(2);
    expect(sample(text, 'nimbus_grpc_requests_total', { method: echo, code: 'AuthFailure' })).toBe(1);
    expect(
      sample(text, 'nimbus_grpc_requests_total', { method: fail, code: 'InvalidInstanceID.NotFound' }),
    ).toBe(1);
    expect(sample(text, 'nimbus_grpc_request_duration_seconds_count', { method: echo })).toBe(3);
    expect(sample(text, 'nimbus_store_operation_duration_seconds_count', { operation: 'create' })).toBe(1);
    expect(sample(text, 'nimbus_event_lag_seconds_count', { subject: 'nimbus.echo.thing.happened' })).toBe(1);
    expect(sample(text, 'nimbus_controller_queue_depth', { controller: 'echo-controller' })).toBe(3);
    expect(
      sample(text, 'nimbus_controller_reconcile_seconds', {
        controller: 'echo-controller',
        quantile: '0.99',
      }),
    ).toBe(0.04);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(sample(text, 'nimbus_echo_things', { colour: 'blue' })).toBe(5);

    const elsewhere = await fetch(`http://${hosted.metricsAddress}/other`);
    expect(elsewhere.status).toBe(404);
  });

  it('serves no metrics when NIMBUS_METRICS_LISTEN is off', async () => {
    const store = createEmbeddedStore();
    const bus = createEmbeddedEventBus();
    const hosted = await hostServiceModule(
      { name: 'quiet', start: async () => ({ services: [{ service: EchoService, impl: echoService }] }) },
      {
        store,
        bus,
        logger: createLogger({ service: 'quiet', level: 'silent' }),
        env: { NIMBUS_AUTH_TOKENS: `${token}=111111111111`, NIMBUS_METRICS_LISTEN: 'off' },
      },
    );
    stops.push(async () => {
      await hosted.stop();
      await bus.close();
      await store.close();
    });
    expect(hosted.metricsAddress).toBeUndefined();
  });
});
