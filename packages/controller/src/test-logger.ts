import { pino } from 'pino';

/** A silent logger for tests; set NIMBUS_TEST_LOG=debug to see controller logs. */
export const testLogger = pino({ level: process.env.NIMBUS_TEST_LOG ?? 'silent' });
