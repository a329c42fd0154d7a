// The encoder's contract: which columns are read how (ColumnSpec) and what it produces (EncodedTable).
import type { AttributeCombineOption as AttributeCombine } from '../balance/defaults.js';

/**
 * How the encoder treats a missing attribute / label value: 'error' (DataError naming the row), 'drop' the row, or
 * 'category' (a value of its own).
 */
export type MissingPolicy = 'error' | 'drop' | 'category';

/** Which columns of a table are the sensitive attributes and the labels (and id, utility, counts, missing). */
export interface ColumnSpec {
  /**
   * one column: categorical (one-hot over its values). Several: each column is read by what it holds — 0/1 or
   * probability values (one indicator named after the column), boolean words yes/no, true/false, y/n in any case
   * (1/0), lists (multi-hot, `column=value`) or categories (one-hot, `column=value`); see `columns`.
   */
  attributes: string[];
  /**
   * several attribute columns: 'intersection' (crossed groups), 'marginal' (each column's groups, constraints for
   * all at once), 'indicators' (each column read by what it holds, as above) or 'auto' (default: intersection when
   * every column is categorical, else indicators); see io/attributes.ts
   */
  combine?: AttributeCombine;
  /** one column: categorical, or a list (array cells, or strings split on `labelSeparator`); several: as attributes */
  labels: string[];
  /** optional per-row utility column (q0 = η + u) */
  utility?: string;
  /** optional id column copied to the output */
  id?: string;
  /** pattern-count table: each input row is a pattern with this multiplicity (e.g. the COUNT(*) of a GROUP BY) */
  counts?: string;
  /** missing attribute/label values: error (default), drop the row (q = 0), or treat as category "NA" */
  missing?: MissingPolicy;
  /** separator for list-valued label strings (default "|") */
  labelSeparator?: string;
  /** groups that differ only invisibly (trailing space, NBSP, BOM, NFC/NFD) or look missing ("null"): an error */
  strict?: boolean;
}

/** How one column of a several-column `attributes` / `labels` list was read. */
export interface ColumnInfo {
  column: string;
  role: 'attribute' | 'label';
  /** numeric: 0/1 or probabilities; boolean: yes/no words as 1/0; categorical: one-hot; list: multi-hot */
  kind: 'numeric' | 'boolean' | 'categorical' | 'list';
  /** the indicator names it contributes: the column name, or `column=value` */
  names: string[];
}

/** How several attribute columns were combined (EncodedTable.columns.combined; absent for 'indicators'). */
export interface CombinedAttributes {
  mode: 'intersection' | 'marginal';
  columns: string[];
  /** per group (attributeNames order): its (column index, value) parts — one per column, or one (marginal) */
  parts: [number, string][][];
}

/** A table encoded into patterns (attributes × labels) with counts, ids and the row → pattern map. */
export interface EncodedTable {
  attributeNames: string[];
  labelNames: string[];
  /** one row per pattern: S (k×m), Y (k×c), w = number of input rows (or summed counts) */
  patterns: { n: number; S: Float64Array; Y: Float64Array; w: Float64Array };
  /** per input row: pattern index, or -1 for a dropped row */
  rowToPattern: Int32Array;
  /** per input row utility (when spec.utility) */
  utility?: Float64Array;
  /** per input row id (spec.id) */
  ids?: (string | number)[];
  /** input rows, and rows dropped for missing values */
  rows: number;
  dropped: number;
  /** true when attributes/labels are fractional (probabilities) */
  fractional: boolean;
  /** several-column attributes / labels: how each column was read (absent for a single column) */
  columns?: { attributes?: ColumnInfo[]; labels?: ColumnInfo[]; combined?: CombinedAttributes };
  /** values that differ only invisibly, or look missing but are groups (values.ts nearDuplicateWarnings) */
  warnings?: string[];
}
