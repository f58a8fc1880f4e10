import { type NatsServer, startNats } from '@nimbus/testkit';
import { afterAll, beforeAll } from 'vitest';
import { describeEventBusContract } from './event-bus-contract.js';
import { openNatsEventBus } from './nats-event-bus.js';

let nats: NatsServer;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats?.dispose();
});

describeEventBusContract('NatsEventBus', () => openNatsEventBus({ servers: nats.endpoint }));
