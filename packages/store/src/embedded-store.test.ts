import { createEmbeddedStore } from './embedded-store.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('embedded', async () => {
  const store = createEmbeddedStore();
  return { store, cleanup: () => store.close() };
});
