import { createEmbeddedEventBus } from '@nimbus/events';
import { createEmbeddedStore } from '@nimbus/store';
import { startOtlpCollector, waitUntil } from '@nimbus/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { createLogger } from './logger.js';
import type { ServiceImpl } from './service-impl.js';
import { type HostedService, hostServiceModule, type ServiceModule } from './service-module.js';
import { EchoService, echoService } from './testing/echo-service.js';

const userToken = 'tracing-test-user';
const serviceToken = 'tracing-test-service-token';
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function startCollector() {
  const collector = await startOtlpCollector();
  stops.push(() => collector.close());
  return collector;
}

describe('traces across services', () => {
  it('makes one trace of a call, the call it makes to another service and the event it publishes', async () => {
    const collector = await startCollector();
    const store = createEmbeddedStore();
    const bus = createEmbeddedEventBus();
    stops.push(async () => {
      await bus.close();
      await store.close();
    });
    let handled = 0;
    const host = async (module: ServiceModule, env: Record<string, string> = {}): Promise<HostedService> => {
      const hosted = await hostServiceModule(module, {
        store,
        bus,
        logger: createLogger({ service: module.name, level: 'silent' }),
        env: {
          NIMBUS_AUTH_TOKENS: `${userToken}=111111111111`,
          NIMBUS_SERVICE_TOKEN: serviceToken,
          NIMBUS_OTLP_ENDPOINT: collector.url,
          ...env,
        },
      });
      stops.push(() => hosted.stop());
      return hosted;
    };
    const back = await host({
      name: 'back',
      async start(context) {
        await context.bus.subscribe({
          durable: 'back-listener',
          subjects: ['nimbus.front.thing.>'],
          handler: async () => {
            handled += 1;
          },
        });
        return { services: [{ service: EchoService, impl: echoService }] };
      },
    });
    const front = await host(
      {
        name: 'front',
        async start(context) {
          const backClient = context.connect(EchoService, 'back');
          const impl: ServiceImpl<typeof EchoService> = {
            ...echoService,
            async echo(request, call) {
              const answer = await backClient.echo(request, { accountId: call.accountId });
              await context.bus.publish({ subject: 'nimbus.front.thing.happened' });
              return answer;
            },
          };
          return {
            services: [{ service: EchoService, impl }],
          };
        },
      },
      { NIMBUS_ENDPOINTS: JSON.stringify({ back: back.address }) },
    );

    const client = createClient(EchoService, front.address, { token: userToken });
    stops.push(async () => client.close());
    expect((await client.echo({ message: 'traced' })).message).toBe('traced');
    await waitUntil(() => handled === 1, { timeoutMs: 5_000 });

    const echoPath = '/nimbus.testing.v1.EchoService/Echo';
    const spans = await waitUntil(
      () => {
        const frontCall = collector.spans.find((s) => s.service === 'front' && s.name === echoPath);
        const backCall = collector.spans.find((s) => s.service === 'back' && s.name === echoPath);
        const consumed = collector.spans.find((s) => s.service === 'back' && s.name.startsWith('event '));
        return frontCall && backCall && consumed ? { frontCall, backCall, consumed } : undefined;
      },
      { timeoutMs: 10_000, message: 'spans of both services at the collector' },
    );
    expect(spans.backCall.traceId).toBe(spans.frontCall.traceId);
    expect(spans.consumed.traceId).toBe(spans.frontCall.traceId);
    expect(spans.backCall.parentSpanId).toBe(spans.frontCall.spanId);
    expect(spans.consumed.parentSpanId).toBe(spans.frontCall.spanId);
    expect(spans.frontCall.parentSpanId).toBe('');
  });
});
