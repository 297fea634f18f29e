import {
  ApiError,
  BadRequestError,
  type ErrorData,
  type FieldError,
  ForbiddenError,
  NotFoundError,
  TooManyRequestsError,
  UnauthorizedError,
} from './api-error.ts';

/**
 * The error catalog: every stable code the server sends, and the factories that build the
 * errors. Codes never change once released (clients and the SDK match on them); messages may.
 * Nothing in the server matches on a message or on `data.*.code`: match on `ApiError.code`.
 */

/** Codes of one field's failure, sent as `data.<field>.code` (PocketBase's codes). */
export const FieldCode = {
  backupNameExists: 'validation_backup_name_exists',
  bucketNameExists: 'validation_bucket_name_exists',
  collectionNameExists: 'validation_collection_name_exists',
  collectionNameIdDuplicate: 'validation_collection_name_id_duplicate',
  collectionNameInvalid: 'validation_collection_name_invalid',
  collectionSystemFlagChange: 'validation_collection_system_flag_change',
  collectionSystemNameChange: 'validation_collection_system_name_change',
  collectionSystemRuleChange: 'validation_collection_system_rule_change',
  collectionTypeChange: 'validation_collection_type_change',
  collectionsImportFailure: 'validation_collections_import_failure',
  conflictingRateLimitRule: 'validation_conflicting_rate_limit_rule',
  contentSizeLimit: 'validation_content_size_limit',
  dateInvalid: 'validation_date_invalid',
  duplicatedFieldId: 'validation_duplicated_field_id',
  duplicatedFieldName: 'validation_duplicated_field_name',
  duplicatedIndexDefinition: 'validation_duplicated_index_definition',
  duplicatedIndexName: 'validation_duplicated_index_name',
  duplicatedValues: 'validation_duplicated_values',
  emailDomainNotAllowed: 'validation_email_domain_not_allowed',
  empty: 'validation_empty',
  existingIndexName: 'validation_existing_index_name',
  fieldRelationChange: 'validation_field_relation_change',
  fieldRelationMissingCollection: 'validation_field_relation_missing_collection',
  fileSizeLimit: 'validation_file_size_limit',
  fileUnsupported: 'validation_file_unsupported',
  foundVia: 'validation_found_via',
  inInvalid: 'validation_in_invalid',
  indexesNotSupported: 'validation_indexes_not_supported',
  invalidAggregate: 'validation_invalid_aggregate',
  invalidAutogeneratePatternValue: 'validation_invalid_autogenerate_pattern_value',
  invalidBool: 'validation_invalid_bool',
  invalidBucketName: 'validation_invalid_bucket_name',
  invalidBuckets: 'validation_invalid_buckets',
  invalidDate: 'validation_invalid_date',
  invalidExpires: 'validation_invalid_expires',
  invalidFile: 'validation_invalid_file',
  invalidFilter: 'validation_invalid_filter',
  invalidFormat: 'validation_invalid_format',
  invalidIndexExpression: 'validation_invalid_index_expression',
  invalidInt: 'validation_invalid_int',
  invalidLatitude: 'validation_invalid_latitude',
  invalidLongitude: 'validation_invalid_longitude',
  invalidMaxSize: 'validation_invalid_max_size',
  invalidMimeType: 'validation_invalid_mime_type',
  invalidMimeTypes: 'validation_invalid_mime_types',
  invalidName: 'validation_invalid_name',
  invalidNewEmail: 'validation_invalid_new_email',
  invalidObjectName: 'validation_invalid_object_name',
  invalidOldPassword: 'validation_invalid_old_password',
  invalidOperations: 'validation_invalid_operations',
  invalidOrExistingId: 'validation_invalid_or_existing_id',
  invalidPassword: 'validation_invalid_password',
  invalidPort: 'validation_invalid_port',
  invalidProvider: 'validation_invalid_provider',
  invalidRegex: 'validation_invalid_regex',
  invalidRule: 'validation_invalid_rule',
  invalidThumbFormat: 'validation_invalid_thumb_format',
  invalidToken: 'validation_invalid_token',
  invalidTokenClaims: 'validation_invalid_token_claims',
  invalidTokenEmail: 'validation_invalid_token_email',
  invalidTokenPayload: 'validation_invalid_token_payload',
  invalidTransform: 'validation_invalid_transform',
  invalidUrl: 'validation_invalid_url',
  invalidValue: 'validation_invalid_value',
  invalidViewQuery: 'validation_invalid_view_query',
  isEmail: 'validation_is_email',
  isHost: 'validation_is_host',
  isUrl: 'validation_is_url',
  jsonSizeLimit: 'validation_json_size_limit',
  lengthOutOfRange: 'validation_length_out_of_range',
  lengthTooLong: 'validation_length_too_long',
  matchInvalid: 'validation_match_invalid',
  maxLessEqualThanRequired: 'validation_max_less_equal_than_required',
  maxNumberConstraint: 'validation_max_number_constraint',
  maxTextConstraint: 'validation_max_text_constraint',
  minGreaterEqualThanRequired: 'validation_min_greater_equal_than_required',
  minNumberConstraint: 'validation_min_number_constraint',
  minTextConstraint: 'validation_min_text_constraint',
  missingCollection: 'validation_missing_collection',
  missingPrimaryKey: 'validation_missing_primary_key',
  missingRelRecords: 'validation_missing_rel_records',
  missingUniqueConstraint: 'validation_missing_unique_constraint',
  nil: 'validation_nil',
  nilOrNotEmptyRequired: 'validation_nil_or_not_empty_required',
  notANumber: 'validation_not_a_number',
  notEnoughValues: 'validation_not_enough_values',
  notInInvalid: 'validation_not_in_invalid',
  notUnique: 'validation_not_unique',
  onlyIntConstraint: 'validation_only_int_constraint',
  relationFieldNonViewBaseCollection: 'validation_relation_field_non_view_base_collection',
  required: 'validation_required',
  reservedBucketName: 'validation_reserved_bucket_name',
  reservedFieldName: 'validation_reserved_field_name',
  systemAutodateChange: 'validation_system_autodate_change',
  systemFieldChange: 'validation_system_field_change',
  tokenCollectionMismatch: 'validation_token_collection_mismatch',
  tokenEmailMismatch: 'validation_token_email_mismatch',
  tooManyFiles: 'validation_too_many_files',
  tooManyValues: 'validation_too_many_values',
  urlDomainNotAllowed: 'validation_url_domain_not_allowed',
  valuesMismatch: 'validation_values_mismatch',
} as const;
export type FieldCode = (typeof FieldCode)[keyof typeof FieldCode];

/** Codes of a whole error (`ApiError.code`); not part of the PocketBase body. */
export const ErrorCode = {
  badRequest: 'bad_request',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  notFound: 'not_found',
  conflict: 'conflict',
  gone: 'gone',
  preconditionFailed: 'precondition_failed',
  payloadTooLarge: 'payload_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  locked: 'locked',
  /** The app cannot serve the request for a moment (a backup is being restored). */
  unavailable: 'unavailable',
  tooManyRequests: 'too_many_requests',
  /** A bucket of that name exists (S3 answers BucketAlreadyOwnedByYou). */
  bucketExists: 'bucket_exists',
  /** The object (or the destination of a copy or move) exists. */
  objectExists: 'object_exists',
  /** The bucket still holds objects. */
  bucketNotEmpty: 'bucket_not_empty',
  /** A tus upload's offset or lock does not match the request. */
  uploadConflict: 'upload_conflict',
  /** A database read ran past the query timeout (`--queryTimeout`) and was cancelled. */
  queryTimeout: 'query_timeout',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One field's failure; `params` as PocketBase sends them (e.g. `{ max }`). */
export function fieldError(code: FieldCode, message: string, params?: Record<string, unknown>): FieldError {
  return params ? { code, message, params } : { code, message };
}

/** The field errors more than one place sends, with PocketBase's default messages. */
export const fields = {
  required: (message = 'Cannot be blank.') => fieldError(FieldCode.required, message),
  invalidValue: (message = 'Invalid value.', params?: Record<string, unknown>) =>
    fieldError(FieldCode.invalidValue, message, params),
  notInList: (message = 'Must be a valid value.') => fieldError(FieldCode.inInvalid, message),
  notBool: (message = 'Must be a boolean.') => fieldError(FieldCode.invalidBool, message),
  notEmail: (message = 'Must be a valid email address.') => fieldError(FieldCode.isEmail, message),
  tooLong: (max: number, params?: Record<string, unknown>) =>
    fieldError(FieldCode.lengthTooLong, `The length must be no more than ${max}.`, params),
  atLeast: (min: number | string, params?: Record<string, unknown>) =>
    fieldError(FieldCode.minGreaterEqualThanRequired, `Must be no less than ${min}.`, params),
  atMost: (max: number | string, params?: Record<string, unknown>) =>
    fieldError(FieldCode.maxLessEqualThanRequired, `Must be no greater than ${max}.`, params),
};

/** Whole errors, one factory per status the server answers (PocketBase's default messages). */
export const errors = {
  badRequest: (message?: string, data?: ErrorData, cause?: unknown) =>
    new BadRequestError(message, data, cause === undefined ? undefined : { cause }),
  /** A 400 whose `data` says which fields failed and why (`code` when callers tell it apart). */
  invalid: (message: string, data: ErrorData, code: ErrorCode = ErrorCode.badRequest) =>
    new BadRequestError(message, data, { code }),
  unauthorized: (message?: string) => new UnauthorizedError(message),
  forbidden: (message?: string) => new ForbiddenError(message),
  notFound: (message?: string) => new NotFoundError(message),
  tooManyRequests: (message?: string) => new TooManyRequestsError(message),
  conflict: (message: string, code: ErrorCode = ErrorCode.conflict) =>
    new ApiError(409, message, {}, { code }),
  gone: (message: string) => new ApiError(410, message, {}, { code: ErrorCode.gone }),
  preconditionFailed: (message: string) =>
    new ApiError(412, message, {}, { code: ErrorCode.preconditionFailed }),
  payloadTooLarge: (message: string) => new ApiError(413, message, {}, { code: ErrorCode.payloadTooLarge }),
  unsupportedMediaType: (message: string, data: ErrorData = {}) =>
    new ApiError(415, message, data, { code: ErrorCode.unsupportedMediaType }),
  locked: (message: string) => new ApiError(423, message, {}, { code: ErrorCode.locked }),
  unavailable: (message: string) => new ApiError(503, message, {}, { code: ErrorCode.unavailable }),
  /** An error of a status of its own, as a server function (or its sandbox) threw it. */
  withStatus: (status: number, message: string, data: ErrorData = {}) => new ApiError(status, message, data),
  /** A 400, as PocketBase answers a list whose query failed; the cause is kept for the log. */
  queryTimeout: (cause: unknown) =>
    new BadRequestError(
      'The query took too long and was cancelled: narrow the filter or the page.',
      {},
      { code: ErrorCode.queryTimeout, cause },
    ),
};
