/**
 * The block-storage key layout under /nimbus/storage/:
 *
 *   volumes/<account>/<vol-id>                 VolumeRecord
 *   volume-modifications/<account>/<vol-id>    VolumeModificationRecord (the latest per volume)
 *   client-tokens/<account>/<token>            service-kit client token (CreateVolume idempotency)
 *   snapshots/<account>/<snap-id>              SnapshotRecord
 *   snapshot-starts/<account>/<vol-id>         SnapshotStartRecord (the 15-second rule)
 *   import-snapshot-tasks/<account>/<task-id>  ImportSnapshotTaskRecord
 *   import-client-tokens/<account>/<token>     service-kit client token (ImportSnapshot idempotency)
 *   device-claims/<account>/<i-id>/<device>    the volume id attached there: one volume per device of an instance
 *   lifecycle-policies/<account>/<policy-id>   LifecyclePolicyRecord
 *   lifecycle-runs/<account>/<policy-id>/<schedule name>   LifecycleRunRecord (the schedule's last run and the run in progress)
 */
const root = '/nimbus/storage';

export const storageKeys = {
  allVolumes: () => `${root}/volumes/`,
  volumes: (accountId: string) => `${root}/volumes/${accountId}/`,
  volume: (accountId: string, volumeId: string) => `${root}/volumes/${accountId}/${volumeId}`,
  allModifications: () => `${root}/volume-modifications/`,
  modifications: (accountId: string) => `${root}/volume-modifications/${accountId}/`,
  modification: (accountId: string, volumeId: string) =>
    `${root}/volume-modifications/${accountId}/${volumeId}`,
  allSnapshots: () => `${root}/snapshots/`,
  snapshots: (accountId: string) => `${root}/snapshots/${accountId}/`,
  snapshot: (accountId: string, snapshotId: string) => `${root}/snapshots/${accountId}/${snapshotId}`,
  snapshotStart: (accountId: string, volumeId: string) => `${root}/snapshot-starts/${accountId}/${volumeId}`,
  allImportTasks: () => `${root}/import-snapshot-tasks/`,
  importTasks: (accountId: string) => `${root}/import-snapshot-tasks/${accountId}/`,
  importTask: (accountId: string, taskId: string) => `${root}/import-snapshot-tasks/${accountId}/${taskId}`,
  importClientToken: (accountId: string, token: string) =>
    `${root}/import-client-tokens/${accountId}/${encodeURIComponent(token)}`,
  deviceClaim: (accountId: string, instanceId: string, device: string) =>
    `${root}/device-claims/${accountId}/${instanceId}/${encodeURIComponent(device)}`,
  allLifecyclePolicies: () => `${root}/lifecycle-policies/`,
  lifecyclePolicies: (accountId: string) => `${root}/lifecycle-policies/${accountId}/`,
  lifecyclePolicy: (accountId: string, policyId: string) =>
    `${root}/lifecycle-policies/${accountId}/${policyId}`,
  allLifecycleRuns: () => `${root}/lifecycle-runs/`,
  lifecycleRuns: (accountId: string, policyId: string) => `${root}/lifecycle-runs/${accountId}/${policyId}/`,
  lifecycleRun: (accountId: string, policyId: string, scheduleName: string) =>
    `${root}/lifecycle-runs/${accountId}/${policyId}/${encodeURIComponent(scheduleName)}`,
  clientToken: (accountId: string, token: string) =>
    `${root}/client-tokens/${accountId}/${encodeURIComponent(token)}`,
};
