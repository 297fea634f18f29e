import { fb } from './api.ts';

/** A realtime event of a record. */
export interface RecordEvent {
  action: 'create' | 'update' | 'delete';
  record: Record<string, unknown> & { id: string };
}

/**
 * Subscribes to every change of a collection through the SDK's realtime (WebSocket with
 * resume, SSE as the fallback), as the signed-in superuser sees it. Answers the unsubscribe.
 */
export function subscribeCollection(collection: string, onEvent: (e: RecordEvent) => void): () => void {
  const stop = fb.collection(collection).subscribe('*', (e) => onEvent(e as unknown as RecordEvent));
  return () => void stop.then((unsubscribe) => unsubscribe()).catch(() => {});
}
