/** The system fields every record has. */
export interface BaseRecord {
  id: string;
  collectionId: string;
  collectionName: string;
  /** Present when the collection has the autodate fields (PocketBase's default ones). */
  created?: string;
  updated?: string;
}

/** A record of a collection the client knows nothing about. */
export interface RecordModel extends BaseRecord {
  [field: string]: any;
}

/** The system fields of an auth collection's records. */
export interface AuthRecordFields {
  email: string;
  emailVisibility: boolean;
  verified: boolean;
}

/** One page of a list (PocketBase's shape; with `skipTotal` the totals are -1). */
export interface ListResult<R> {
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
  items: R[];
}

/** The options every record read takes (PocketBase's query parameters). */
export interface ReadOptions {
  expand?: string;
  fields?: string;
  /** More query parameters, e.g. those `@request.query.*` in a rule reads. */
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A list's options. Build `filter` with `fb.filter()` when it holds user input. */
export interface ListOptions extends ReadOptions {
  page?: number;
  perPage?: number;
  sort?: string;
  filter?: string;
  /** Skip counting (faster): `totalItems` and `totalPages` come back as -1. */
  skipTotal?: boolean;
}

/** What the SDK knows about one collection's types (typegen writes one per collection). */
export interface CollectionTypes {
  /** The record as read. */
  record: object;
  /** The body of a create (fields optional where the server fills them). */
  create?: object;
  /** The body of an update. */
  update?: object;
  /** Whether it is an auth collection. */
  auth?: boolean;
}

/**
 * The types of one project: every collection and every function module. `forgebase
 * typegen` writes it; without one, the client takes any name and answers `RecordModel`s.
 */
export interface Schema {
  collections: Record<string, CollectionTypes>;
  functions: object;
}

/** The schema of a client with no generated types. */
export interface UntypedSchema extends Schema {
  collections: Record<
    string,
    { record: RecordModel; create: Record<string, unknown>; update: Record<string, unknown> }
  >;
  functions: any;
}

/** The record type of collection `N`. */
export type RecordOf<S extends Schema, N extends keyof S['collections']> = S['collections'][N]['record'];

/** The create body of collection `N` (`FormData` is always allowed). */
export type CreateOf<S extends Schema, N extends keyof S['collections']> = S['collections'][N] extends {
  create: infer C;
}
  ? C
  : Partial<RecordOf<S, N>>;

/** The update body of collection `N`. */
export type UpdateOf<S extends Schema, N extends keyof S['collections']> = S['collections'][N] extends {
  update: infer U;
}
  ? U
  : Partial<RecordOf<S, N>>;
