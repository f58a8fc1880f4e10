/**
 * `nimbus.image.image.state-changed`: a trigger for compute, the image
 * builder and anyone showing images, who re-read the image. Keyed by image id
 * and the new state: each transition is published once.
 */
import type { EventBus } from '@nimbus/events';
import type { Logger } from 'pino';
import type { ImageRecord } from '../state/image-records.js';

export const imageStateChangedSubject = 'nimbus.image.image.state-changed';

/** A bus outage must not undo a committed change: the failure is logged, consumers resync. */
export async function publishImageStateChanged(
  bus: EventBus,
  logger: Logger,
  image: ImageRecord,
  previousState: string,
  revision: number,
  requestId?: string,
): Promise<void> {
  try {
    await bus.publish({
      subject: imageStateChangedSubject,
      id: `${image.imageId}.${image.state}`,
      accountId: image.ownerId,
      resourceId: image.imageId,
      revision,
      detailJson: JSON.stringify({
        state: image.state,
        previousState,
        name: image.name,
        ...(image.stateReason ? { stateReason: image.stateReason } : {}),
      }),
      ...(requestId ? { requestId } : {}),
    });
  } catch (error) {
    logger.warn(
      { err: error, imageId: image.imageId, state: image.state },
      'image state event not published',
    );
  }
}
