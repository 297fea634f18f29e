/** A malformed input file, with the (1-based) line where the problem is. */
export class FormatError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.line = line;
    this.name = 'FormatError';
  }
}
