import { type NatsServer, startNats } from '@nimbus/testkit';
import { connect } from 'nats';
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

describeEventBusContract(
  'NatsEventBus',
  () => openNatsEventBus({ servers: nats.endpoint }),
  async (_bus, durable) => {
    const nc = await connect({ servers: nats.endpoint });
    try {
      const jsm = await nc.jetstreamManager();
      return await jsm.consumers.info('NIMBUS', durable).then(
        () => true,
        () => false,
      );
    } finally {
      await nc.close();
    }
  },
);
