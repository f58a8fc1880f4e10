/**
 * ImportSnapshot and DescribeImportSnapshotTasks. Nimbus imports a RAW disk
 * image that is a file on the block-storage host (`file:///absolute/path`):
 * the call checks the url and the file, writes the task record (active), and
 * hands the reading to the snapshot lifecycle, which cuts the file into the
 * chunk store as CreateSnapshot does and ends the task completed with a
 * completed snapshot owned by the caller, or deleted with the reason and no
 * snapshot (state/snapshot-lifecycle.ts).
 */
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import {
  argumentsDigest,
  checkClientToken,
  checkIdsWithoutMaxResults,
  compileFilters,
  createClientTokens,
  createRecords,
  dryRunOperation,
  type FilterFields,
  pageOf,
  resolveMaxResults,
  tagsFor,
} from '@nimbus/service-kit';
import type { TxnOp } from '@nimbus/store';
import { IdPrefix, isId, newId } from '../domain/ids.js';
import {
  invalidParameterValue,
  missingParameter,
  StorageError,
  StorageErrorCode,
} from '../domain/storage-errors.js';
import type { ImportSnapshotTaskRecord } from '../state/import-task-records.js';
import type { SnapshotLifecycle } from '../state/snapshot-lifecycle.js';
import { storageKeys } from '../state/storage-keys.js';
import type { ApiDeps } from './api-deps.js';
import { importTaskView } from './import-snapshot-views.js';

type ImportSnapshotApi = Pick<
  ServiceImpl<typeof BlockStorageService>,
  'importSnapshot' | 'describeImportSnapshotTasks'
>;

const GiB = 1024 ** 3;
/** The largest image a snapshot may hold: the largest volume of most types (16 TiB). */
const maxImageBytes = 16 * 1024 * GiB;

const taskFilters: FilterFields<ImportSnapshotTaskRecord> = {
  'task-state': (t) => t.status,
  'import-task-id': (t) => t.importTaskId,
  description: (t) => t.description,
};

function invalidParameter(message: string): StorageError {
  return new StorageError(StorageErrorCode.InvalidParameter, message);
}

/** The absolute path a `file:///…` url names, or InvalidParameter saying what is wrong with it. */
export function diskImagePath(url: string): string {
  const expected = 'Nimbus imports disk images from this host only: the url must be file:///absolute/path';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidParameter(`The disk image url '${url}' is not a url. ${expected}.`);
  }
  if (parsed.protocol !== 'file:') {
    throw invalidParameter(`The disk image url '${url}' has scheme '${parsed.protocol}'. ${expected}.`);
  }
  if (parsed.host !== '' && parsed.host !== 'localhost') {
    throw invalidParameter(
      `The disk image url '${url}' names host '${parsed.host}' (a relative path?). ${expected}.`,
    );
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw invalidParameter(`The disk image url '${url}' has a query or fragment. ${expected}.`);
  }
  const path = fileURLToPath(parsed);
  if (!isAbsolute(path)) throw invalidParameter(`The disk image url '${url}' is not absolute. ${expected}.`);
  return path;
}

/** Whether `path` is `dir` or lies beneath it. */
function within(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The file the url names with every link resolved, if the caller may import it.
 * The service runs as root, so without these checks an account could import
 * any file of the host (or another account's volume) and read it back from a
 * volume: accounts import from NIMBUS_IMPORT_ROOTS only, Nimbus services from
 * anywhere but the storage root.
 */
async function importablePath(
  url: string,
  path: string,
  caller: { service: boolean; importRoots: readonly string[]; storageRoot: string },
): Promise<string> {
  const real = await realpath(path).catch((error: NodeJS.ErrnoException) => {
    throw invalidParameter(
      error.code === 'ENOENT'
        ? `The disk image ${url} does not exist on the block-storage host.`
        : `The disk image ${url} cannot be read: ${error.code ?? error.message}.`,
    );
  });
  if (within(await realpath(caller.storageRoot).catch(() => caller.storageRoot), real)) {
    throw invalidParameter(
      `The disk image ${url} lies in the block-storage data root; volumes and snapshot blocks cannot be imported.`,
    );
  }
  if (!caller.service) {
    const roots = await Promise.all(
      caller.importRoots.map((r) => realpath(resolve(r)).catch(() => resolve(r))),
    );
    if (!roots.some((root) => within(root, real))) {
      throw invalidParameter(
        roots.length === 0
          ? `The disk image ${url} is not in an import directory: this region lets accounts import no files (NIMBUS_IMPORT_ROOTS is empty).`
          : `The disk image ${url} is not in an import directory; accounts import from ${roots.join(', ')} only (NIMBUS_IMPORT_ROOTS).`,
      );
    }
  }
  return real;
}

/** The image's size in bytes, or InvalidParameter when the file cannot be imported. */
async function checkImageFile(url: string, path: string): Promise<number> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw invalidParameter(`The disk image ${url} cannot be read: ${error.code ?? error.message}.`);
  });
  if (!info.isFile()) throw invalidParameter(`The disk image ${url} is not a regular file.`);
  if (info.size === 0) throw invalidParameter(`The disk image ${url} is empty.`);
  if (info.size > maxImageBytes) {
    throw invalidParameter(`The disk image ${url} is ${info.size} bytes; at most 16 TiB can be imported.`);
  }
  await access(path, constants.R_OK).catch(() => {
    throw invalidParameter(`The disk image ${url} is not readable by the block-storage service.`);
  });
  return info.size;
}

/** ImportSnapshot answers with the task's fields. */
function responseOf(task: ImportSnapshotTaskRecord) {
  const { importTaskId, description, snapshotTaskDetail, tags } = importTaskView(task);
  return { importTaskId, description, snapshotTaskDetail, tags };
}

function requireImportTaskId(id: string): void {
  if (!isId(IdPrefix.importSnapshotTask, id)) {
    throw new StorageError(
      StorageErrorCode.InvalidImportTaskIdMalformed,
      `Invalid id: "${id}" (expecting "import-snap-...")`,
    );
  }
}

export function createImportSnapshotApi(deps: ApiDeps, work: SnapshotLifecycle): ImportSnapshotApi {
  const tasks = createRecords<ImportSnapshotTaskRecord>(deps.store);
  const tokens = createClientTokens(deps.store, storageKeys.importClientToken);

  /** The task a client token made before, if the arguments match; IdempotentParameterMismatch if not. */
  const earlier = async (accountId: string, token: string, digest: string) => {
    const importTaskId = await tokens.earlier(accountId, token, digest);
    if (importTaskId === undefined) return undefined;
    return (await tasks.get(storageKeys.importTask(accountId, importTaskId)))?.value;
  };

  return {
    async importSnapshot(request, { accountId, service }) {
      const container = request.diskContainer;
      if (!container) throw missingParameter('DiskContainer');
      if (container.url === '') throw missingParameter('DiskContainer.Url');
      if (container.format === '') throw missingParameter('DiskContainer.Format');
      if (container.format.toUpperCase() !== 'RAW') {
        throw invalidParameter(
          `The disk image format '${container.format}' is not supported: Nimbus imports RAW images only.`,
        );
      }
      if (request.description.length > 255 || container.description.length > 255) {
        throw invalidParameterValue('The description must be at most 255 characters.');
      }
      checkClientToken(request.clientToken);
      const tags = tagsFor('import-snapshot-task', request.tagSpecifications);
      const named = diskImagePath(container.url);
      const digest = argumentsDigest([
        request.description,
        container.description,
        container.url,
        request.encrypted,
        tags,
      ]);
      if (request.clientToken) {
        const made = await earlier(accountId, request.clientToken, digest);
        if (made) return responseOf(made);
      }
      const path = await importablePath(container.url, named, {
        service,
        importRoots: deps.config.importRoots,
        storageRoot: deps.storageRoot,
      });
      const size = await checkImageFile(container.url, path);
      if (request.dryRun) throw dryRunOperation();

      const record: ImportSnapshotTaskRecord = {
        importTaskId: newId(IdPrefix.importSnapshotTask),
        ownerId: accountId,
        description: request.description,
        tags,
        status: 'active',
        statusMessage: 'pending',
        progress: '0',
        snapshotId: newId(IdPrefix.snapshot),
        diskDescription: container.description,
        format: 'RAW',
        url: container.url,
        path,
        diskImageSize: size,
        encrypted: request.encrypted,
        startTime: new Date(deps.now()).toISOString(),
      };
      const key = storageKeys.importTask(accountId, record.importTaskId);
      const ops: TxnOp[] = [{ type: 'create', key, value: JSON.stringify(record) }];
      if (request.clientToken)
        ops.push(tokens.claim(accountId, request.clientToken, digest, record.importTaskId));
      // Claimed before the record exists, so that a start-up sweep running now leaves it to this call.
      work.claim(record.snapshotId);
      let written: boolean;
      try {
        written = (await deps.store.txn(ops)).ok;
      } catch (error) {
        work.release(record.snapshotId);
        throw error;
      }
      if (!written) {
        work.release(record.snapshotId);
        // The same token won by a concurrent call: answer as it did.
        const made = request.clientToken && (await earlier(accountId, request.clientToken, digest));
        if (made) return responseOf(made);
        throw new StorageError('InternalError', 'The import task could not be recorded; try again.');
      }
      work.importImage(key, record.snapshotId);
      return responseOf(record);
    },

    async describeImportSnapshotTasks(request, { accountId }) {
      checkIdsWithoutMaxResults('ImportTaskIds', request.importTaskIds, request.maxResults);
      const pageSize = resolveMaxResults(request.maxResults);
      const matches = compileFilters(request.filters, taskFilters, { tags: (t) => t.tags });
      for (const id of request.importTaskIds) requireImportTaskId(id);
      if (request.dryRun) throw dryRunOperation();
      const all = (await tasks.list(storageKeys.importTasks(accountId))).map((r) => r.value);
      for (const id of request.importTaskIds) {
        if (!all.some((t) => t.importTaskId === id)) {
          throw new StorageError(
            StorageErrorCode.InvalidImportTaskIdNotFound,
            `The import task ID '${id}' does not exist`,
          );
        }
      }
      const selected = all.filter(
        (t) =>
          (request.importTaskIds.length === 0 || request.importTaskIds.includes(t.importTaskId)) &&
          matches(t),
      );
      const page = pageOf(selected, (t) => t.importTaskId, { nextToken: request.nextToken, pageSize });
      return { importSnapshotTasks: page.items.map(importTaskView), nextToken: page.nextToken };
    },
  };
}
