/** A record of a live result: anything with a string `id`. */
export type LiveItem = Record<string, unknown> & { id: string };

/**
 * How one live result becomes the next, in positions a client applies in this order:
 * drop `removed` (indexes in the old list, highest first), then add `inserted` (indexes in
 * the new list, lowest first), then replace `updated` (indexes in the new list). A record
 * that moved (a sort value changed) is removed and inserted again, so applying the three
 * lists in order always gives the new list exactly.
 */
export interface ItemsDiff {
  removed: { id: string; index: number }[];
  inserted: { index: number; record: LiveItem }[];
  updated: { index: number; record: LiveItem }[];
}

/** True when the diff changes nothing. */
export function isEmptyDiff(d: ItemsDiff): boolean {
  return d.removed.length === 0 && d.inserted.length === 0 && d.updated.length === 0;
}

/**
 * Positions (into `seq`) of one longest strictly increasing subsequence of `seq`
 * (patience sorting, O(n log n)): the kept records that need not move.
 */
function longestIncreasing(seq: number[]): Set<number> {
  const tails: number[] = [];
  const prev = new Array<number>(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seq[tails[mid]!]! < seq[i]!) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1]!;
    tails[lo] = i;
  }
  const out = new Set<number>();
  for (let i = tails.length ? tails[tails.length - 1]! : -1; i >= 0; i = prev[i]!) out.add(i);
  return out;
}

/**
 * The diff from `before` to `after` (records compared by id, contents by their JSON text,
 * given in `afterJson` to reuse what the frame needs anyway).
 *
 * @example
 * diffItems([{id:'a'},{id:'b'}], [{id:'b'},{id:'c'}])
 * // → removed [{id:'a', index:0}], inserted [{index:1, record:{id:'c'}}], updated []
 */
export function diffItems(
  before: readonly LiveItem[],
  beforeJson: readonly string[],
  after: readonly LiveItem[],
  afterJson: readonly string[],
): ItemsDiff {
  const oldIndex = new Map<string, number>();
  for (const [i, r] of before.entries()) oldIndex.set(r.id, i);
  const newIds = new Set(after.map((r) => r.id));
  // kept records in their new order, by their old position
  const keptNew: number[] = [];
  const keptOld: number[] = [];
  after.forEach((r, i) => {
    const o = oldIndex.get(r.id);
    if (o !== undefined) {
      keptNew.push(i);
      keptOld.push(o);
    }
  });
  const stay = longestIncreasing(keptOld);
  const moved = new Set<number>(); // new indexes of kept records that moved
  keptNew.forEach((n, k) => {
    if (!stay.has(k)) moved.add(n);
  });
  const removed: ItemsDiff['removed'] = [];
  before.forEach((r, i) => {
    if (!newIds.has(r.id)) removed.push({ id: r.id, index: i });
  });
  for (const n of moved) removed.push({ id: after[n]!.id, index: oldIndex.get(after[n]!.id)! });
  removed.sort((a, b) => b.index - a.index);
  const inserted: ItemsDiff['inserted'] = [];
  const updated: ItemsDiff['updated'] = [];
  after.forEach((r, i) => {
    const o = oldIndex.get(r.id);
    if (o === undefined || moved.has(i)) inserted.push({ index: i, record: r });
    else if (beforeJson[o] !== afterJson[i]) updated.push({ index: i, record: r });
  });
  return { removed, inserted, updated };
}

/** Applies a diff to a list (what a client does): the inverse check of `diffItems`. */
export function applyDiff(list: readonly LiveItem[], d: ItemsDiff): LiveItem[] {
  const out = [...list];
  for (const r of d.removed) out.splice(r.index, 1);
  for (const r of d.inserted) out.splice(r.index, 0, r.record);
  for (const r of d.updated) out[r.index] = r.record;
  return out;
}
