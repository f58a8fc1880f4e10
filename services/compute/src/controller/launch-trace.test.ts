import { startOtlpCollector, waitUntil } from '@nimbus/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { useComputeUnderTest } from '../testing/compute-under-test.js';

// Every service of the stack sends its spans here.
const collector = await startOtlpCollector();
afterAll(() => collector.close());
const compute = useComputeUnderTest({ sharedEnv: { NIMBUS_OTLP_ENDPOINT: collector.url } });

describe('a launch as one trace', () => {
  it('joins the calls the instance controller makes for a RunInstances to its trace', async () => {
    await compute.worker({ workerName: 'traced-1a', zone: 'nimbus-1a' });
    const imageId = await compute.image();
    const { instances } = await compute.client.runInstances({ imageId, minCount: 1, maxCount: 1 });
    const instanceId = instances[0]?.instanceId ?? '';
    await waitUntil(
      async () =>
        (await compute.client.describeInstances({ instanceIds: [instanceId] })).reservations[0]?.instances[0]
          ?.state?.name === 'running',
      { timeoutMs: 30_000 },
    );
    const run = await waitUntil(() =>
      collector.spans.find((s) => s.service === 'compute' && s.name.endsWith('/RunInstances')),
    );
    // The launch happens after RunInstances answered, in the controller: still in its trace,
    // down to block storage making the root volume and network making the interface.
    const inTrace = await waitUntil(
      () => {
        const spans = collector.spans.filter((s) => s.traceId === run.traceId);
        const names = new Set(spans.map((s) => `${s.service} ${s.name}`));
        const wanted = [
          `compute launch ${instanceId}`,
          'block-storage /nimbus.storage.v1.BlockStorageService/CreateVolume',
          'network /nimbus.network.v1.NetworkService/CreateNetworkInterface',
        ];
        return wanted.every((name) => names.has(name)) ? spans : undefined;
      },
      { timeoutMs: 20_000, message: 'the launch spans in the RunInstances trace' },
    );
    const launch = inTrace.find((s) => s.name === `launch ${instanceId}`);
    expect(launch?.parentSpanId).toBe(run.spanId);
  });
});
