/**
 * Where an instance's interface slots are claimed: one key per instance and
 * device index, created with the attachment (create-if-absent), so that two
 * interfaces never attach at one device index of an instance.
 */
const root = '/nimbus/network';

export interface AttachmentSlot {
  networkInterfaceId: string;
  attachmentId: string;
}

export const attachmentKeys = {
  slot: (accountId: string, instanceId: string, deviceIndex: number) =>
    `${root}/interface-slots/${accountId}/${instanceId}/${deviceIndex}`,
} as const;
