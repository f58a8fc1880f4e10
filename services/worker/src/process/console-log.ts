/**
 * An instance's console: the file its processes write their stdout and
 * stderr to directly (so output goes on when the worker restarts), kept
 * bounded by the worker copying it to `console.1.log` and truncating it once
 * it passes the segment size (logrotate's copytruncate; the processes write
 * with O_APPEND, so they go on at the new end). The console is at most about
 * two segments; GetConsoleOutput reads the tail of both.
 *
 * Bytes written between the copy and the truncate are lost: at most what an
 * instance prints in that instant, a price paid to keep the writers
 * independent of the worker.
 */
import { openSync } from 'node:fs';
import { readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConsoleChunk } from '../runtime/instance-runtime.js';

/** EC2's GetConsoleOutput returns the most recent 64 KB. */
export const defaultConsoleSegmentBytes = 64 * 1024;

export interface ConsoleLog {
  /** The file the instance's processes append to. */
  readonly path: string;
  /** Opens it for a new process tree's stdout and stderr (append mode); the caller closes the fd after spawning. */
  openForWriting(): number;
  /** Writes a line of the worker's own (e.g. why the instance ended), as a console shows a kernel message. */
  note(line: string): Promise<void>;
  /** Copies and truncates once the current segment passes its bound. */
  trim(): Promise<void>;
  /** The last `maxBytes` of the console. */
  tail(maxBytes?: number): Promise<string>;
  /**
   * What was printed since `cursor`, a logical offset (bytes ever written,
   * as this object has seen them) from an earlier call; at most `maxBytes`.
   */
  since(cursor: number | undefined, maxBytes?: number): Promise<ConsoleChunk>;
  remove(): Promise<void>;
}

export function createConsoleLog(dir: string, segmentBytes = defaultConsoleSegmentBytes): ConsoleLog {
  const current = join(dir, 'console.log');
  const previous = join(dir, 'console.1.log');
  const read = async (path: string) => {
    try {
      return await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
      throw error;
    }
  };
  /** Bytes truncated from the current segment so far: the logical offset where it starts. */
  let trimmed = 0;
  // Trimming and reading since a cursor must not interleave, or the offsets would lie.
  let lock = Promise.resolve();
  const exclusive = <T>(step: () => Promise<T>): Promise<T> => {
    const run = lock.then(step);
    lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };
  return {
    path: current,
    openForWriting() {
      return openSync(current, 'a');
    },
    async note(line) {
      await writeFile(current, `[nimbus] ${line}\n`, { flag: 'a' });
    },
    trim() {
      return exclusive(async () => {
        let size: number;
        try {
          size = (await stat(current)).size;
        } catch {
          return;
        }
        if (size <= segmentBytes) return;
        const bytes = await read(current);
        await writeFile(previous, bytes.subarray(Math.max(0, bytes.length - segmentBytes)));
        await truncate(current, 0);
        trimmed += bytes.length;
      });
    },
    since(cursor, maxBytes = segmentBytes) {
      return exclusive(async () => {
        const now = await read(current);
        const end = trimmed + now.length;
        const tailChunk = async (): Promise<ConsoleChunk> => {
          const both = Buffer.concat([await read(previous), now]);
          return { bytes: both.subarray(Math.max(0, both.length - maxBytes)), cursor: end, reset: true };
        };
        if (cursor === undefined || cursor > end || end - cursor > maxBytes) return tailChunk();
        if (cursor >= trimmed) return { bytes: now.subarray(cursor - trimmed), cursor: end, reset: false };
        const before = await read(previous);
        const beforeStart = trimmed - before.length;
        if (cursor < beforeStart) return tailChunk();
        return {
          bytes: Buffer.concat([before.subarray(cursor - beforeStart), now]),
          cursor: end,
          reset: false,
        };
      });
    },
    async tail(maxBytes = segmentBytes) {
      const both = Buffer.concat([await read(previous), await read(current)]);
      return both.subarray(Math.max(0, both.length - maxBytes)).toString('utf8');
    },
    async remove() {
      await rm(current, { force: true });
      await rm(previous, { force: true });
    },
  };
}
