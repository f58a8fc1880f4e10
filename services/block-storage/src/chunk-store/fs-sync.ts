import { open } from 'node:fs/promises';

/** fsync a directory, so the names created or removed in it survive a power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to a new file at `path` (failing if it exists), fsync'd when `durable`. */
export async function writeNewFile(path: string, data: Uint8Array, durable: boolean): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await handle.write(data, written, data.length - written, written);
      written += bytesWritten;
    }
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
}

export function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
