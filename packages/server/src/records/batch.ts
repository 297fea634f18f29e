import type { Transaction } from '../db/database.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import { keyScoped } from './key-policy.ts';
import type { WritePreparer } from './prepare-ops.ts';
import type { BatchOperation, RecordMethods } from './record-api.ts';

export type { BatchOperation } from './record-api.ts';

/** The operation of a batch that failed (its index) and why. */
export class BatchFailure extends Error {
  readonly index: number;
  constructor(index: number, cause: unknown) {
    super(`batch operation ${index} failed`, { cause });
    this.name = 'BatchFailure';
    this.index = index;
  }
}

type Result = Record<string, unknown> | undefined;

/** A batch that ran past its deadline (settings `batch.timeout`); it was rolled back. */
export class BatchTimeout extends Error {
  constructor() {
    super('batch transaction timeout');
    this.name = 'BatchTimeout';
  }
}

/**
 * Runs several writes in one transaction: all succeed or none does. Each operation is
 * checked like its single form (before-hooks included) and prepared before the
 * transaction; the error of the first failing one is thrown with its index. An API key
 * needs its scope for every operation (an upsert may create or update): a key short of
 * one is refused (403) before anything runs. Past `deadline` (epoch ms), checked before each
 * operation is prepared and run and before the commit, the batch is rolled back with
 * BatchTimeout (PocketBase's batch.timeout; one slow operation is not interrupted).
 */
export async function runBatch(
  deps: {
    collections: CollectionService;
    preparer: WritePreparer;
    via: RecordMethods;
    write<T>(op: (tx: Transaction) => Promise<T>): Promise<T>;
  },
  ops: BatchOperation[],
  viewerOf: (index: number) => Viewer,
  deadline = Number.POSITIVE_INFINITY,
): Promise<Result[]> {
  const checkTime = () => {
    if (Date.now() > deadline) throw new BatchTimeout();
  };
  const viewers = ops.map((op, index) => {
    const viewer = viewerOf(index);
    const c = viewer.apiKey ? deps.collections.find(op.collection) : undefined;
    if (!c) return viewer;
    if (op.action === 'upsert') keyScoped(viewer, c, 'create');
    return keyScoped(viewer, c, op.action === 'upsert' ? 'update' : op.action);
  });
  const prepared: ((tx: Transaction) => Promise<Result>)[] = [];
  // which records the batch's earlier operations create or delete (for upserts' hooks)
  const known = new Map<string, boolean>();
  for (const [index, op] of ops.entries()) {
    checkTime();
    try {
      prepared.push(await deps.preparer.prepareOperation(op, viewers[index]!, deps.via, known));
    } catch (e) {
      throw new BatchFailure(index, e);
    }
    const c = deps.collections.find(op.collection);
    const id = op.action === 'update' || op.action === 'delete' ? op.id : op.body.id;
    if (c && typeof id === 'string' && id !== '' && op.action !== 'update')
      known.set(`${c.id}/${id}`, op.action !== 'delete');
  }
  return deps.write(async (tx) => {
    const results: Result[] = [];
    for (const [index, run] of prepared.entries()) {
      checkTime();
      try {
        results.push(await run(tx));
      } catch (e) {
        throw new BatchFailure(index, e);
      }
    }
    checkTime();
    return results;
  });
}
