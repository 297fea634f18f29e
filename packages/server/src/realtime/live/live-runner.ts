import type { Database } from '../../db/database.ts';
import { errors } from '../../errors/codes.ts';
import { parseFields, pickFields } from '../../records/pick-fields.ts';
import type { RecordMethods } from '../../records/record-api.ts';
import type { RecordService } from '../../records/record-service.ts';
import type { Viewer } from '../../rules/viewer.ts';
import type { CollectionService } from '../../schema/collection-service.ts';
import type { RecordValues } from '../../schema/record-values.ts';
import { type FilterVerdicts, filterIsPersonal } from '../dispatch.ts';
import { viewerClass } from '../viewer-class.ts';
import type { FunctionSpec, ListSpec, LiveSpec } from './live-spec.ts';
import { specKey } from './live-spec.ts';
import { listReadSet, type ReadSet, relatedCollections } from './read-set.ts';

/**
 * Runs live query functions: the function service's `liveQuery`, telling which
 * collections `ctx.records` read (absent when the project has no functions).
 */
export interface LiveFunctions {
  liveQuery(
    ref: string,
    args: unknown,
    viewer: Viewer,
    reads: (collection: string, related: boolean) => void,
    via: RecordMethods,
  ): Promise<unknown>;
}

/** What the runners read from. */
export interface RunnerDeps {
  db: Database;
  collections: CollectionService;
  records: RecordService;
  functions(): LiveFunctions | undefined;
  filterVerdicts: FilterVerdicts;
}

/** A spec bound to one viewer class: the sharing key and how to run it. */
export interface BoundQuery {
  /** Equal keys share one query (the spec and the viewer class). */
  key: string;
  /** Who the shared query runs as (its auth record replaced when that record changes). */
  viewer: Viewer;
  /** The read set before the first run (functions: every collection, until they ran once). */
  readSet: ReadSet;
  /** A list whose count or later page an out-of-page record can change. */
  outOfPage: boolean;
  /** Runs the query: its answer and its read set as of that run. */
  run(): Promise<{ value: unknown; readSet: ReadSet }>;
}

/** The viewer a live query acts as: the socket's auth, in a realtime request. */
function liveViewer(viewer: Viewer, query: Record<string, unknown>): Viewer {
  return {
    ...viewer,
    request: {
      method: 'GET',
      query,
      headers: {},
      body: {},
      context: 'realtime',
      ...(viewer.auth ? { auth: viewer.auth } : {}),
    },
  };
}

function bindList(deps: RunnerDeps, spec: ListSpec, socketViewer: Viewer): BoundQuery {
  const c = deps.collections.find(spec.collection);
  if (!c) throw errors.notFound('Missing collection context.');
  const ruleDeps = { db: deps.db, collection: (n: string) => deps.collections.find(n) };
  const personalFilter =
    !socketViewer.superuser &&
    !!spec.filter &&
    filterIsPersonal(deps.filterVerdicts, ruleDeps, c, spec.filter);
  const who = viewerClass(c, c.listRule, socketViewer, { personalFilter, expand: !!spec.expand });
  const { filter, sort, expand, fields, page, perPage, skipTotal } = spec;
  const query: Record<string, unknown> = { page, perPage };
  for (const [k, v] of Object.entries({ filter, sort, expand, fields })) if (v !== undefined) query[k] = v;
  const viewer = liveViewer(socketViewer, query);
  const tree = parseFields(fields);
  const readSetNow = () => {
    const current = deps.collections.find(c.id);
    if (!current) throw errors.notFound('Missing collection context.');
    return listReadSet(deps.collections.all(), current, spec, viewer);
  };
  const bound: BoundQuery = {
    key: `${specKey({ ...spec, collection: c.id })}\u0000${who}`,
    viewer,
    readSet: readSetNow(),
    outOfPage: !skipTotal || page > 1,
    async run() {
      const readSet = readSetNow();
      const params = { page, perPage, skipTotal, ...(filter ? { filter } : {}), ...(sort ? { sort } : {}) };
      // the page, its count and its expands from one snapshot: never a state that did not exist
      const list = await deps.records.snapshot((r) =>
        r.list(c.id, { ...params, ...(expand ? { expand } : {}) }, bound.viewer),
      );
      return { value: tree ? { ...list, items: pickFields(list.items, tree) } : list, readSet };
    },
  };
  return bound;
}

function bindFunction(deps: RunnerDeps, spec: FunctionSpec, socketViewer: Viewer): BoundQuery {
  const fns = deps.functions();
  if (!fns) throw errors.notFound('The function was not found.');
  // a function sees ctx.auth: one class per signed-in record (superusers apart)
  const who = `${socketViewer.superuser ? 's' : 'u'}:${socketViewer.authCollectionId ?? ''}/${socketViewer.authId ?? ''}`;
  const viewer = liveViewer(socketViewer, {});
  const bound: BoundQuery = {
    key: `${specKey(spec)}\u0000${who}`,
    viewer,
    readSet: { collections: new Set(), all: true, keys: new Map() },
    outOfPage: false,
    async run() {
      const readSet: ReadSet = { collections: new Set(), all: false, keys: new Map() };
      const reads = (name: string, related: boolean) => {
        const c = deps.collections.find(name);
        if (!c) return; // the read fails with a 404: nothing of it can change
        if (c.type === 'view') readSet.all = true;
        for (const id of related ? relatedCollections(deps.collections.all(), c) : [c.id])
          readSet.collections.add(id);
      };
      // every read of the function from one snapshot, like a list's
      const value = await deps.records.snapshot((r) =>
        fns.liveQuery(spec.fn, spec.args, bound.viewer, reads, r),
      );
      return { value, readSet };
    },
  };
  return bound;
}

/** The viewer with a fresh copy of its auth record (its fields changed: rules may read them). */
export function withAuthRecord(viewer: Viewer, record: RecordValues): Viewer {
  if (!viewer.auth) return viewer;
  const auth = { ...viewer.auth, record };
  return { ...viewer, auth, ...(viewer.request ? { request: { ...viewer.request, auth } } : {}) };
}

/** Binds a live spec to the socket's viewer (a 404 for an unknown collection or function). */
export function bindQuery(deps: RunnerDeps, spec: LiveSpec, viewer: Viewer): BoundQuery {
  return spec.kind === 'list' ? bindList(deps, spec, viewer) : bindFunction(deps, spec, viewer);
}
