import { createEmbeddedEventBus } from './embedded-event-bus.js';
import { describeEventBusContract } from './event-bus-contract.js';

describeEventBusContract('EmbeddedEventBus', async () => createEmbeddedEventBus());
