import { api } from './api.ts';

/** A realtime event of a record (PocketBase's SSE payload). */
export interface RecordEvent {
  action: 'create' | 'update' | 'delete';
  record: Record<string, unknown> & { id: string };
}

/**
 * Subscribes to every change of a collection over PocketBase's SSE protocol: the stream
 * gives a client id, then one POST with the session's token names the topic. Answers the
 * unsubscribe function. Rules apply as for the signed-in superuser.
 */
export function subscribeCollection(collection: string, onEvent: (e: RecordEvent) => void): () => void {
  const topic = `${collection}/*`;
  const source = new EventSource('/api/realtime');
  source.addEventListener('PB_CONNECT', (m) => {
    const { clientId } = JSON.parse((m as MessageEvent).data) as { clientId: string };
    void api('POST', '/api/realtime', { body: { clientId, subscriptions: [topic] } }).catch(() =>
      source.close(),
    );
  });
  source.addEventListener(topic, (m) => onEvent(JSON.parse((m as MessageEvent).data) as RecordEvent));
  return () => source.close();
}
