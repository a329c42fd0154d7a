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
