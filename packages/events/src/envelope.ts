/**
 * The envelope on the wire: the generated `Event` message in protobuf binary,
 * built from a `PublishInput` with its defaults (fresh UUID, now).
 */

import { randomUUID } from 'node:crypto';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { type Event, EventSchema } from '@nimbus/api/gen/nimbus/events/v1/events_pb';
import type { PublishInput } from './event-bus.js';
import { validateSubject } from './subjects.js';

/** Validates the subject and fills the envelope's defaults. */
export function eventFromInput(input: PublishInput): Event {
  validateSubject(input.subject);
  return create(EventSchema, {
    id: input.id || randomUUID(),
    subject: input.subject,
    time: timestampFromDate(input.time ?? new Date()),
    accountId: input.accountId ?? '',
    resourceId: input.resourceId ?? '',
    revision: BigInt(input.revision ?? 0),
    detailJson: input.detailJson ?? '',
    requestId: input.requestId ?? '',
  });
}

export function encodeEvent(event: Event): Uint8Array {
  return toBinary(EventSchema, event);
}

export function decodeEvent(bytes: Uint8Array): Event {
  return fromBinary(EventSchema, bytes);
}
