import type { Operation, Paths } from './operation.ts';

const tag = 'storage';
const tus = (summary: string, description: string, okStatus: number): Operation => ({
  summary,
  description: `${description} Every answer carries \`Tus-Resumable: 1.0.0\`; requests other than OPTIONS must send it (412 otherwise).`,
  tag,
  fb: true,
  ok: 204,
  okStatus,
});

/** Resumable uploads (tus 1.0) into storage buckets, at Supabase's path. */
export const TUS_PATHS: Paths = {
  '/api/storage/upload/resumable': {
    options: tus(
      'tus capabilities',
      'Answers with Tus-Version, Tus-Extension (creation, creation-with-upload, termination, checksum, expiration), Tus-Max-Size and Tus-Checksum-Algorithm (sha1, md5, sha256).',
      204,
    ),
    post: tus(
      'Start a resumable upload',
      "Headers: `Upload-Length` (required), `Upload-Metadata` with base64 `bucketName`, `objectName` and optional `contentType`, `cacheControl`; `x-upsert: true` to replace. The bucket's createRule (updateRule with upsert) and maxSize are checked before any bytes: 403, 409, 413. With `Content-Type: application/offset+octet-stream` the body is the first chunk. Answers 201 with `Location` and `Upload-Expires`.",
      201,
    ),
  },
  '/api/storage/upload/resumable/{uploadId}': {
    options: tus('tus capabilities', 'As for the creation endpoint.', 204),
    head: tus(
      "An upload's progress",
      "Answers `Upload-Offset`, `Upload-Length`, `Upload-Expires` and `Cache-Control: no-store`; 404 for unknown uploads or another user's, 410 once expired.",
      200,
    ),
    patch: tus(
      'Append a chunk',
      'Body: `application/offset+octet-stream`, streamed. `Upload-Offset` must equal the current offset (409); optional `Upload-Checksum: <sha1|md5|sha256> <base64>` (460 and the chunk discarded on mismatch); 423 while another request writes. Bytes that arrived before a dropped connection are kept. The last byte writes the object (rules, type sniffing and limits apply). Answers the new `Upload-Offset`.',
      204,
    ),
    delete: tus('Cancel an upload', 'Termination: the upload and its received bytes are removed.', 204),
  },
};
