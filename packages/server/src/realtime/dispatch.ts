import type { ChangeRow } from '../changes/change-log.ts';
import type { Database } from '../db/database.ts';
import { ApiError } from '../errors/api-error.ts';
import type { Logger } from '../observability/logger.ts';
import { parseFields, pickFields } from '../records/pick-fields.ts';
import { exportedFields, exportRecord } from '../records/record-codec.ts';
import type { RecordService } from '../records/record-service.ts';
import { viewerMatchesValues } from '../rules/match-values.ts';
import { filterReadsViewer, type RuleDeps } from '../rules/rule-condition.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import type { Delivery, RealtimeClient } from './client.ts';
import type { Topic } from './topic.ts';
import { viewerClass } from './viewer-class.ts';

/** The services dispatch needs to check rules and serialize records. */
export interface DispatchDeps {
  db: Database;
  collections: CollectionService;
  records: RecordService;
  logger: Logger;
  /** Remembers which subscription filters read the viewer (see createFilterVerdicts). */
  filterVerdicts: FilterVerdicts;
}

/** Per collection object (replaced on every schema reload): filter text → reads the viewer. */
export type FilterVerdicts = WeakMap<Collection, Map<string, boolean>>;

/** Most filters remembered per collection before the memo starts over (filters are client text). */
const MAX_FILTER_VERDICTS = 1000;

/** An empty memo for `filterReadsViewer`, one per hub. */
export function createFilterVerdicts(): FilterVerdicts {
  return new WeakMap();
}

/** Whether a subscription filter on `c` means different things to different viewers (memoised). */
export function filterIsPersonal(
  verdicts: FilterVerdicts,
  ruleDeps: RuleDeps,
  c: Collection,
  filter: string,
): boolean {
  let memo = verdicts.get(c);
  if (!memo) {
    memo = new Map();
    verdicts.set(c, memo);
  }
  let verdict = memo.get(filter);
  if (verdict === undefined) {
    verdict = filterReadsViewer(ruleDeps, c, filter);
    if (memo.size >= MAX_FILTER_VERDICTS) memo.clear();
    memo.set(filter, verdict);
  }
  return verdict;
}

/** A client's subscription an event matched. */
interface Match {
  client: RealtimeClient;
  topic: Topic;
}

/** True when the topic names this collection (by id or name) and, if any, this record. */
export function topicMatches(topic: Topic, c: Collection, recordId: string): boolean {
  if (topic.recordId !== undefined && topic.recordId !== recordId) return false;
  return topic.collection === c.id || topic.collection.toLowerCase() === c.name.toLowerCase();
}

/**
 * Subscribers that would see the same thing share one group, so the rule and filter run
 * once per group per event (not once per client): superusers together (API keys by their
 * scope), and other viewers together unless the rule, the expand, the record's own
 * visibility or the filter (through a relation into a collection whose listRule reads the
 * request, issue 12 #10) depends on who asks. `personalFilter` says the last.
 */
function groupKey(c: Collection, topic: Topic, viewer: Viewer, personalFilter: boolean): string {
  const rule = (topic.recordId === undefined ? c.listRule : c.viewRule) ?? '';
  const who = viewerClass(c, rule, viewer, { personalFilter, expand: topic.query.expand !== undefined });
  // only what changes the outcome: the query and headers count when a rule reads them
  const { filter, expand, fields } = topic.query;
  const whole = personalFilter || rule.includes('@request.query');
  const query = whole ? topic.query : { filter, expand, fields };
  const headers = personalFilter || rule.includes('@request.headers') ? topic.headers : {};
  return `${topic.recordId === undefined ? 'l' : 'v'}\u0000${who}\u0000${JSON.stringify(query)}\u0000${JSON.stringify(headers)}`;
}

/** The viewer a subscription acts as: its client's auth plus the topic's query and headers. */
function topicViewer(viewer: Viewer, topic: Topic): Viewer {
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(topic.headers)) headers[k.toLowerCase().replaceAll('-', '_')] = v;
  return {
    ...viewer,
    request: {
      method: 'GET',
      query: { ...topic.query },
      headers,
      body: {},
      context: 'realtime',
      ...(viewer.auth ? { auth: viewer.auth } : {}),
    },
  };
}

/**
 * Works out, for one change, what each matching subscription receives: checks the
 * collection's rule and the subscription's filter per group, then serializes the record
 * like the records API would for that viewer (hidden fields, expand, fields).
 */
export async function deliveriesFor(
  deps: DispatchDeps,
  c: Collection,
  row: ChangeRow,
  matches: Match[],
): Promise<{ client: RealtimeClient; delivery: Delivery }[]> {
  const ruleDeps = { db: deps.db, collection: (idOrName: string) => deps.collections.find(idOrName) };
  const groups = new Map<string, Match[]>();
  for (const m of matches) {
    const filter = m.topic.query.filter;
    const personalFilter =
      !m.client.viewer.superuser && !!filter && filterIsPersonal(deps.filterVerdicts, ruleDeps, c, filter);
    const key = groupKey(c, m.topic, m.client.viewer, personalFilter);
    const g = groups.get(key);
    if (g) g.push(m);
    else groups.set(key, [m]);
  }
  const out: { client: RealtimeClient; delivery: Delivery }[] = [];
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const first = group[0]!;
      const viewer = topicViewer(first.client.viewer, first.topic);
      const rule = first.topic.recordId === undefined ? c.listRule : c.viewRule;
      // judged on the record as it was logged (so a delete is judged on its last state, like
      // PocketBase judges it before the row goes): the rule, then the subscription's filter
      const checks = { rule, filter: first.topic.query.filter };
      if (!(await viewerMatchesValues(ruleDeps, deps.db, c, row.record, checks, viewer, exportedFields(c))))
        return;
      let record: Record<string, unknown> = exportRecord(c, row.record, viewer);
      try {
        await deps.records.expand(c.id, [record], first.topic.query.expand, viewer);
        const tree = parseFields(first.topic.query.fields);
        if (tree) record = pickFields(record, tree) as Record<string, unknown>;
      } catch (e) {
        // an expand or fields the viewer cannot use: the plain record, like a list without it
        // anything else is a real failure: logged, and the plain record still goes out
        if (!(e instanceof ApiError))
          deps.logger.error({ err: e, collection: c.name }, 'realtime: expand failed');
      }
      const recordJson = JSON.stringify(record);
      for (const m of group) {
        out.push({
          client: m.client,
          delivery: { topic: m.topic, seq: row.seq, action: row.action, record, recordJson },
        });
      }
    }),
  );
  return out;
}
