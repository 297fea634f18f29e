import { ApiError } from '../errors/api-error.ts';

/**
 * An error of the S3-compatible API: S3's error code (`NoSuchKey`, `AccessDenied`…) and
 * HTTP status, sent as S3's XML `<Error>` document by the /s3 routes.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
export class S3Error extends ApiError {
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(status, message);
    this.name = 'S3Error';
    this.code = code;
  }
}

/** 403 AccessDenied. */
export const accessDenied = (message = 'Access Denied') => new S3Error(403, 'AccessDenied', message);
/** 404 NoSuchBucket. */
export const noSuchBucket = () => new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
/** 404 NoSuchKey. */
export const noSuchKey = () => new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
/** 404 NoSuchUpload. */
export const noSuchUpload = () =>
  new S3Error(
    404,
    'NoSuchUpload',
    'The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.',
  );
/** 400 InvalidArgument. */
export const invalidArgument = (message: string) => new S3Error(400, 'InvalidArgument', message);
/** 400 MalformedXML. */
export const malformedXml = () =>
  new S3Error(
    400,
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema.',
  );

/** The S3 code for one of ForgeBase's own errors (thrown by the storage service). */
export function s3CodeOf(e: ApiError): string {
  if (e instanceof S3Error) return e.code;
  switch (e.status) {
    case 400:
      return 'InvalidArgument';
    case 403:
      return 'AccessDenied';
    case 404:
      return 'NoSuchKey';
    case 409:
      return 'OperationAborted';
    case 413:
      return 'EntityTooLarge';
    case 415:
      return 'InvalidArgument';
    default:
      return 'InternalError';
  }
}
