/**
 * Store transaction operations from typed records, for writes that must land
 * together or not at all (a VPC with its default group, a group with its name).
 */

import type { Stored } from '@nimbus/service-kit';
import type { TxnOp } from '@nimbus/store';

export const txnOps = {
  create: (key: string, value: unknown): TxnOp => ({ type: 'create', key, value: JSON.stringify(value) }),
  update: <T>(record: Stored<T>, value: T): TxnOp => ({
    type: 'update',
    key: record.key,
    value: JSON.stringify(value),
    expectedRevision: record.revision,
  }),
  /**
   * Rewrites a record unchanged: its revision moves, so that a concurrent
   * writer that read the old revision (a DeleteVpc that saw no subnets) fails.
   */
  touch: <T>(record: Stored<T>): TxnOp => txnOps.update(record, record.value),
  /**
   * Only checks that a record is still at the revision it was read at, without
   * writing it: concurrent writers that check the same record do not conflict.
   */
  check: <T>(record: Stored<T>): TxnOp => ({
    type: 'check',
    key: record.key,
    expectedRevision: record.revision,
  }),
  delete: <T>(record: Stored<T>): TxnOp => ({
    type: 'delete',
    key: record.key,
    expectedRevision: record.revision,
  }),
};
