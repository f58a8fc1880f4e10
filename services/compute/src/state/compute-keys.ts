/**
 * Where the compute domain lives in the store, under `/nimbus/compute/`:
 * instances per account (a Describe lists one account's and nobody else's),
 * workers with a lease-bound key each, what the workers observe and the
 * console output, the last two per instance so that frequent reports never
 * conflict with writes of the instance itself.
 */
const root = '/nimbus/compute';

export const computeKeys = {
  allInstances: () => `${root}/instances/`,
  instances: (accountId: string) => `${root}/instances/${accountId}/`,
  instance: (accountId: string, instanceId: string) => `${root}/instances/${accountId}/${instanceId}`,
  /** RunInstances' client tokens: which reservation each made (service-kit client-tokens). */
  runClientToken: (accountId: string, token: string) =>
    `${root}/run-client-tokens/${accountId}/${encodeURIComponent(token)}`,
  workers: () => `${root}/workers/`,
  worker: (name: string) => `${root}/workers/${name}`,
  /** Bound to the worker's lease: deleted by the store when the worker falls silent. */
  workerLeases: () => `${root}/worker-leases/`,
  workerLease: (name: string) => `${root}/worker-leases/${name}`,
  /** An instance's share of a worker's capacity (the worker record holds the total). */
  claims: (workerName: string) => `${root}/claims/${workerName}/`,
  claim: (workerName: string, instanceId: string) => `${root}/claims/${workerName}/${instanceId}`,
  observations: () => `${root}/observed/`,
  observation: (instanceId: string) => `${root}/observed/${instanceId}`,
  console: (instanceId: string) => `${root}/console/${instanceId}`,
} as const;

/** The account and instance id of an instance key; undefined for another key. */
export function parseInstanceKey(key: string): { accountId: string; instanceId: string } | undefined {
  const match = /^\/nimbus\/compute\/instances\/(\d{12})\/(i-[0-9a-f]{17})$/.exec(key);
  return match?.[1] && match[2] ? { accountId: match[1], instanceId: match[2] } : undefined;
}
