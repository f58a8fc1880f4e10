import type { IncomingMessage } from 'node:http';
import { QueryError } from '../query/query-error.js';

/**
 * The request body, refused with 413 as soon as it passes `limit` bytes (by
 * Content-Length up front, or while it streams in), so a huge upload costs
 * no memory.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new QueryError('RequestEntityTooLarge', `The request body is larger than ${limit} bytes.`, 413);
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        request.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    request.once('error', reject);
  });
}
