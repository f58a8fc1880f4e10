import { createEmbeddedEventBus, type EmbeddedEventBus } from './embedded-event-bus.js';
import { describeEventBusContract } from './event-bus-contract.js';

describeEventBusContract(
  'EmbeddedEventBus',
  async () => createEmbeddedEventBus(),
  async (bus, durable) => (bus as EmbeddedEventBus).durableNames().includes(durable),
);
