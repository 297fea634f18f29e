/**
 * A file received in a multipart request, already streamed to the blob store. It sits in
 * a record body in place of a file name until the write turns it into its stored `name`.
 */
export class UploadedFile {
  /** The stored name, `<sanitized original>_<10 random chars>.<ext>`. */
  readonly name: string;
  /** The name the client sent (for error messages). */
  readonly originalName: string;
  /** Bytes received; more than the limit when `tooLarge` (then nothing was kept). */
  readonly size: number;
  /** The sniffed content type. */
  readonly contentType: string;
  /** Where the bytes are now ('' when they were not kept); moved next to the record before the write. */
  key: string;
  /** True when the upload went past the size limit and was cut off. */
  readonly tooLarge: boolean;

  constructor(init: {
    name: string;
    originalName: string;
    size: number;
    contentType: string;
    key: string;
    tooLarge?: boolean;
  }) {
    this.name = init.name;
    this.originalName = init.originalName;
    this.size = init.size;
    this.contentType = init.contentType;
    this.key = init.key;
    this.tooLarge = init.tooLarge ?? false;
  }

  /** Serialises as its name (e.g. when a rule reads `@request.body`). */
  toJSON(): string {
    return this.name;
  }
}

/** True for a value that is a received upload rather than a plain file name. */
export function isUploadedFile(v: unknown): v is UploadedFile {
  return v instanceof UploadedFile;
}
