/**
 * A record's values by field name, decoded to their canonical form. It lives in schema/
 * (the lowest layer that needs it) so that query/, rules/ and every service above them can
 * name a record without importing records/.
 */
export type RecordValues = Record<string, unknown>;
