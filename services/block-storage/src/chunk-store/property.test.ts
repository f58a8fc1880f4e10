import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { createChunkStore } from './chunk-store.js';
import { createFsBlockBackend } from './fs-block-backend.js';
import { runRandomHistory } from './random-history.js';
import { makeTempDir, removeTempDirs } from './test-volumes.js';

const BLOCK = 4096;
const SEEDS = [1, 2, 3, 4, 5, 6];

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(removeTempDirs);

// The histories are in random-history.ts; s3-chunk-backend.test.ts runs them on an S3-compatible server.
describe('chunk store, random histories', () => {
  it.each(SEEDS)(
    'seed %i: snapshots stay exact and sweeps keep exactly the referenced blocks',
    async (seed) => {
      const root = join(dir, 'store');
      await runRandomHistory({
        seed,
        steps: 40,
        blockSize: BLOCK,
        minBlocks: 16,
        extraBlocks: 48,
        dir,
        open: (concurrency) => createChunkStore({ root, blockSize: BLOCK, concurrency }),
        blocks: createFsBlockBackend({ root }),
      });
    },
  );
});
