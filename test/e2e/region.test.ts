import { existsSync } from 'node:fs';
import { runCli } from '@nimbus/cli';
import { checkHealth, regionFilePath } from '@nimbus/runtime';
import { waitUntil } from '@nimbus/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, type RegionProcess, startRegionProcess } from './region-process.js';

let region: RegionProcess | undefined;
afterEach(async () => {
  await region?.dispose();
  region = undefined;
});

describe.each([
  { backing: 'real', store: 'etcd', bus: 'nats' },
  { backing: 'embedded', store: 'embedded', bus: 'embedded' },
])('pnpm start ($backing store and bus)', ({ backing, store, bus }) => {
  it('brings up every service SERVING, lists them in region.json, and Ctrl-C leaves nothing behind', async () => {
    region = await startRegionProcess({ NIMBUS_BACKING: backing });
    const { file } = region;
    expect(file.store.kind).toBe(store);
    expect(file.bus.kind).toBe(bus);
    const services = Object.entries(file.services);
    expect(services.map(([name]) => name)).toContain('network');
    for (const [, service] of services) {
      expect(service.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(await checkHealth(service.address, '', { timeoutMs: 5_000 })).toBe('SERVING');
      for (const grpcService of service.grpcServices) {
        expect(await checkHealth(service.address, grpcService, { timeoutMs: 5_000 })).toBe('SERVING');
      }
      // Every service exposes its Prometheus metrics.
      const metrics = await (await fetch(service.metrics ?? 'http://127.0.0.1:1/')).text();
      expect(metrics).toContain('nimbus_grpc_request_duration_seconds');
      expect(metrics).toContain('process_resident_memory_bytes');
    }

    const out: string[] = [];
    const code = await runCli(['status', '--output', 'json'], {
      stdout: (text) => out.push(text),
      stderr: (text) => out.push(text),
      env: { NIMBUS_HOME: region.home },
    });
    expect(code).toBe(0);
    const status = JSON.parse(out.join('\n')) as { services: { service: string; health: string }[] };
    expect(status.services.map((s) => s.health)).toEqual(services.map(() => 'SERVING'));

    const pids = [...file.backingPids, ...services.flatMap(([, s]) => (s.pid ? [s.pid] : []))];
    if (backing === 'real') expect(pids.length).toBe(2 + services.length);
    expect(await region.interrupt()).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(existsSync(regionFilePath(region.home))).toBe(false);
  }, 120_000);
});

describe('a region killed hard', () => {
  it('is cleaned up by the next start in the same home', async () => {
    const killed = await startRegionProcess({ NIMBUS_BACKING: 'real' });
    const { file } = killed;
    const orphans = [
      ...file.backingPids,
      ...Object.values(file.services).flatMap((s) => (s.pid ? [s.pid] : [])),
    ];
    killed.child.kill('SIGKILL');
    await waitUntil(() => killed.child.exitCode !== null || killed.child.signalCode !== null);
    expect(orphans.filter(isAlive)).toEqual(orphans);

    region = await startRegionProcess({ NIMBUS_BACKING: 'real', NIMBUS_HOME: killed.home });
    expect(orphans.filter(isAlive)).toEqual([]);
    expect(region.log()).toContain('stopping processes left by a region that did not shut down');
    for (const service of Object.values(region.file.services)) {
      expect(await checkHealth(service.address, '', { timeoutMs: 5_000 })).toBe('SERVING');
    }
  }, 120_000);
});
