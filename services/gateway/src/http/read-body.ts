import type { IncomingMessage } from 'node:http';
import { QueryError } from '../query/query-error.js';

/**
 * The request body, refused with 413 as soon as it passes `limit` bytes (by
 * Content-Length up front, or while it streams in), so a huge upload costs
 * no memory.
 */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new QueryError('RequestEntityTooLarge', `The request body is larger than ${limit} bytes.`, 413);
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
