import { afterEach, beforeEach, describe } from 'vitest';
import { type ContractContext, watchInBackground } from './contract/contract-context.js';
import { keyValueCases } from './contract/key-value-cases.js';
import { leaseAndElectionCases } from './contract/lease-election-cases.js';
import type { Store } from './store.js';

export interface StoreUnderTest {
  store: Store;
  cleanup(): Promise<void>;
}

/**
 * The contract every `Store` keeps, as a vitest suite: run it from a test file
 * with a factory that makes a fresh, empty store (its own etcd namespace, say)
 * for each test. Revisions are only compared with each other, never with
 * fixed numbers, so a store sharing its revision counter passes too.
 */
export function describeStoreContract(name: string, factory: () => Promise<StoreUnderTest>): void {
  describe(`${name} store contract`, () => {
    let subject: StoreUnderTest | undefined;
    const stops: (() => void)[] = [];

    beforeEach(async () => {
      subject = await factory();
    });

    afterEach(async () => {
      for (const stop of stops.splice(0)) stop();
      await subject?.cleanup();
    });

    const context: ContractContext = {
      store() {
        if (!subject) throw new Error('the store contract runs its cases only inside its own tests');
        return subject.store;
      },
      watch(prefix, fromRevision) {
        const watching = watchInBackground(context.store(), prefix, fromRevision);
        stops.push(watching.stop);
        return watching;
      },
    };

    describe('keys, lists, watches and transactions', () => keyValueCases(context));
    describe('leases and elections', () => leaseAndElectionCases(context));
  });
}
