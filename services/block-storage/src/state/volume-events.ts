/**
 * Volume events, as the project names them (`nimbus.<domain>.<kind>.<verb>`):
 * - `nimbus.storage.volume.state-changed` on every state a volume reaches
 *   (creating, available, in-use, deleting, deleted, error); detail
 *   `{ state, previousState, availabilityZone, volumeType, size }`;
 * - `nimbus.storage.volume.attached` / `.detached` when an attachment is
 *   recorded or removed; detail `{ instanceId, device }`.
 * Triggers, not the truth: consumers re-read the volume. Each is keyed by
 * volume, verb and store revision, so a retried publish is dropped. Publishing
 * is best effort: a bus outage never undoes a committed change (logged).
 */
import type { EventBus } from '@nimbus/events';
import type { ServiceContext } from '@nimbus/runtime';
import type { VolumeRecord, VolumeState } from './volume-records.js';

export const volumeStateChangedSubject = 'nimbus.storage.volume.state-changed';
export const volumeAttachedSubject = 'nimbus.storage.volume.attached';
export const volumeDetachedSubject = 'nimbus.storage.volume.detached';

export interface VolumeEvents {
  stateChanged(volume: VolumeRecord, revision: number, previousState: VolumeState | ''): Promise<void>;
  attachment(
    verb: 'attached' | 'detached',
    volume: VolumeRecord,
    attachment: { instanceId: string; device: string },
    revision: number,
  ): Promise<void>;
}

export function createVolumeEvents(bus: EventBus, logger: ServiceContext['logger']): VolumeEvents {
  const publish = async (
    subject: string,
    id: string,
    volume: VolumeRecord,
    revision: number,
    detail: object,
  ) => {
    try {
      await bus.publish({
        subject,
        id,
        accountId: volume.ownerId,
        resourceId: volume.volumeId,
        revision,
        detailJson: JSON.stringify(detail),
      });
    } catch (error) {
      logger.warn({ err: error, volumeId: volume.volumeId, subject }, 'volume event not published');
    }
  };
  return {
    stateChanged: (volume, revision, previousState) =>
      publish(volumeStateChangedSubject, `${volume.volumeId}.${volume.state}.${revision}`, volume, revision, {
        state: volume.state,
        previousState,
        availabilityZone: volume.availabilityZone,
        volumeType: volume.volumeType,
        size: volume.size,
      }),
    attachment: (verb, volume, attachment, revision) =>
      publish(
        verb === 'attached' ? volumeAttachedSubject : volumeDetachedSubject,
        `${volume.volumeId}.${verb}.${attachment.instanceId}.${revision}`,
        volume,
        revision,
        attachment,
      ),
  };
}

/** For tests and tools that run the lifecycle without a bus. */
export const noVolumeEvents: VolumeEvents = {
  stateChanged: async () => {},
  attachment: async () => {},
};
