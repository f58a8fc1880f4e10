import type { RegionFile } from '@nimbus/runtime';

/** The banner `pnpm start` prints: what runs where, and how to reach it. */
export function formatEndpoints(file: RegionFile, regionFilePath: string): string {
  const width = Math.max(7, ...Object.keys(file.services).map((name) => name.length));
  const rows = Object.entries(file.services).map(
    ([name, service]) => `  ${name.padEnd(width)}  ${service.address}  ${service.grpcServices.join(', ')}`,
  );
  const store =
    file.store.kind === 'etcd' ? `etcd ${file.store.endpoints.join(',')}` : 'embedded (in memory)';
  const bus = file.bus.kind === 'nats' ? `nats ${file.bus.servers.join(',')}` : 'embedded (in memory)';
  return [
    `Region ${file.region} is up (zones ${file.zones.join(', ')}).`,
    `  store    ${store}`,
    `  bus      ${bus}`,
    ...rows,
    `  account  ${file.defaultAccount.accountId}`,
    ...(file.aws
      ? [`  aws      ${file.aws.url} (EC2 API, region ${file.aws.region}; access key in region.json)`]
      : []),
    `Endpoints written to ${regionFilePath}. Try: pnpm nimbus status`,
    'Press Ctrl-C to stop.',
  ].join('\n');
}
