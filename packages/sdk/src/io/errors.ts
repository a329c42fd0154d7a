import { M4kitError } from '@m4kit/kernels';

/** Bad input data: names the file, the row (1-based data row, or file line for text formats) and the column. */
export class DataError extends M4kitError {
  constructor(
    message: string,
    readonly where: { file?: string; row?: number; line?: number; column?: string } = {},
  ) {
    const loc = [
      where.file,
      where.line !== undefined ? `line ${where.line}` : where.row !== undefined ? `row ${where.row}` : undefined,
      where.column !== undefined ? `column "${where.column}"` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    super('E_DATA', loc ? `${loc}: ${message}` : message);
  }
}

/**
 * An output could not be written (disk full, file size limit, permissions, the directory went away): names the
 * output, not the temp file; the temp file is removed and a previous file at the path is left as it was.
 */
export class OutputError extends M4kitError {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const err = cause as { code?: string; message?: string };
    const why: Record<string, string> = {
      ENOSPC: 'no space left on the device',
      EFBIG: 'the file size limit was reached (ulimit -f)',
      EDQUOT: 'the disk quota is exhausted',
      EACCES: 'permission denied',
      EPERM: 'operation not permitted',
      EROFS: 'read-only file system',
      ENOENT: 'the output directory no longer exists',
      EISDIR: 'the path is a directory',
    };
    const reason = (err?.code && why[err.code]) ?? err?.message ?? String(cause);
    super(
      'E_OUTPUT',
      `cannot write ${path}: ${reason}${err?.code ? ` (${err.code})` : ''}; nothing was written there (a previous ` +
        'file at that path is unchanged)',
      { cause },
    );
  }
}
