/** ELBv2's paging: `page_size` 1-400 (default 400) and an opaque marker. */
import { validationError } from '../domain/elb-errors.js';

export function pageOf<T>(
  items: readonly T[],
  marker: string,
  pageSize: number,
): { page: T[]; nextMarker: string } {
  if (pageSize !== 0 && (pageSize < 1 || pageSize > 400)) {
    throw validationError(`Page size '${pageSize}' must be between '1' and '400'`);
  }
  const size = pageSize || 400;
  let start = 0;
  if (marker) {
    const decoded = Number(Buffer.from(marker, 'base64url').toString());
    if (!Number.isInteger(decoded) || decoded < 0) throw validationError(`Marker '${marker}' is not valid`);
    start = decoded;
  }
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(String(start + size)).toString('base64url') : '';
  return { page, nextMarker: next };
}
