import type { AuthStore } from './auth/store.ts';
import type { Transport } from './http/transport.ts';
import type { Realtime } from './realtime/realtime.ts';

/** What every service of one client shares: the transport, the auth store and realtime. */
export interface ClientContext {
  transport: Transport;
  authStore: AuthStore;
  /** The realtime connection, opened on first use. */
  realtime(): Realtime;
}
