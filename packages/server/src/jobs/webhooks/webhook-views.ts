import { formatDate } from '../../tools/time.ts';
import type { DeliveryRow, DeliveryState } from './delivery-store.ts';
import type { WebhookRow } from './webhook-store.ts';

/** A webhook as the API shows it: never its secret, with its collection's current name. */
export type WebhookView = Omit<WebhookRow, 'secret' | 'fromSeq'> & {
  /** The collection's name ('' once it was deleted). */
  collection: string;
};

/** A delivery as the API shows it. */
export type DeliveryView = Omit<DeliveryRow, 'changeSeq' | 'state' | 'nextAt' | 'body'> & {
  /** The change's seq. */
  seq: number;
  status: DeliveryState;
  /** When the next attempt is due (a stored date), '' once the delivery ended. */
  nextAttempt: string;
};

/** A page of deliveries, PocketBase's list shape. */
export interface DeliveryPage {
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
  items: DeliveryView[];
}

/** The API's view of a webhook; `collectionName` looks its collection up by id. */
export function webhookView(w: WebhookRow, collectionName: (id: string) => string | undefined): WebhookView {
  const { secret: _secret, fromSeq: _fromSeq, ...shown } = w;
  return { ...shown, collection: collectionName(w.collectionId) ?? '' };
}

/** The API's view of a delivery. */
export function deliveryView(d: DeliveryRow): DeliveryView {
  const { changeSeq, state, nextAt, body: _body, ...rest } = d;
  return {
    ...rest,
    seq: changeSeq,
    status: state,
    nextAttempt: state === 'pending' ? formatDate(new Date(nextAt)) : '',
  };
}
