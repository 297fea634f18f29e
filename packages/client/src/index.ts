/**
 * `@forgebase/client`: ForgeBase's typed, isomorphic SDK (fetch + WebSocket, nothing else).
 * See docs/client.md.
 */
export {
  AuthCollection,
  type AuthMethods,
  type AuthResult,
  type FactorOptions,
  mfaIdOf,
} from './auth/auth-collection.ts';
export { type OAuth2PopupOptions, oauth2CodeFlow } from './auth/oauth2.ts';
export {
  type Authenticator,
  creationOptions,
  credentialJSON,
  type PasskeyOptionsJSON,
  type PasskeyResponseJSON,
  requestOptions,
} from './auth/passkeys.ts';
export {
  type AuthPersistence,
  AuthStore,
  type CookieOptions,
  localStoragePersistence,
  memoryPersistence,
} from './auth/store.ts';
export { type TokenClaims, tokenClaims } from './auth/token.ts';
export { type ClientOptions, ForgeBase } from './client.ts';
export { type DatabaseInfo, DatabaseService, type DatabaseToken } from './databases.ts';
export { ClientError, type ErrorCode, type ErrorData, type FieldError } from './errors.ts';
export { type FilterValue, filter } from './filter.ts';
export {
  type ApiTree,
  type ArgsOf,
  type CallableKind,
  createApi,
  type FunctionRef,
  type ResultOf,
} from './functions/functions.ts';
export type { SendOptions, Transport } from './http/transport.ts';
export { applyLiveDiff, type LiveListOptions, LiveQuery, type LiveTarget } from './realtime/live.ts';
export { Realtime, type RealtimeEvent, type SubscribeOptions } from './realtime/realtime.ts';
export { type Frame, RealtimeSocket, SocketError } from './realtime/socket.ts';
export { Batch, type BatchResult } from './records/batch.ts';
export { RecordService } from './records/collection.ts';
export { BucketService, type StorageObject, type UploadOptions } from './storage/buckets.ts';
export { FileService, type FileUrlOptions } from './storage/files.ts';
export type { ResumableOptions } from './storage/tus.ts';
export type * from './types.ts';

import { type ClientOptions, ForgeBase } from './client.ts';
import type { Schema, UntypedSchema } from './types.ts';

/** `new ForgeBase<S>(url, opts)`. */
export function createClient<S extends Schema = UntypedSchema>(url: string, o?: ClientOptions): ForgeBase<S> {
  return new ForgeBase<S>(url, o);
}
