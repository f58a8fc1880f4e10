export {
  createEmbeddedEventBus,
  EmbeddedEventBus,
  type EmbeddedEventBusOptions,
} from './embedded-event-bus.js';
export {
  BusUnavailableError,
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_DUPLICATE_WINDOW_MS,
  DEFAULT_MAX_DELIVER,
  type DeliveredEvent,
  type Event,
  type EventBus,
  InvalidDurableNameError,
  InvalidSubjectError,
  type PublishAck,
  type PublishInput,
  type StartPosition,
  type SubscribeOptions,
  type Subscription,
} from './event-bus.js';
export { NatsEventBus, type NatsEventBusOptions, openNatsEventBus } from './nats-event-bus.js';
export { EVENT_SUBJECTS, normalizeFilter, subjectMatches, validateSubject } from './subjects.js';
