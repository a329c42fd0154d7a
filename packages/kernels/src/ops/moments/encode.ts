// Compact row encodings for the moments kernels (issue #15): a categorical attribute (exactly one 1 per row of S)
// travels as its group index, u8 or u16 packed in u32 words (4 or 2 rows a word, little end first); 0/1 labels
// travel as bits, ⌈c/32⌉ u32 words per row (label r in word r >> 5, bit r & 31). Probabilities, utilities and
// weights stay f32. What the kernels read per row: S 4m → 1 or 2 bytes, Y 4c → 4⌈c/32⌉ bytes.
import { ArgumentError } from '../../runtime/errors.js';

/** How S is bound: dense f32 [rows, m], or group indices packed as u8 / u16 in u32 words. */
export type SEncoding = 'f32' | 'u8' | 'u16';
/** How Y is bound: dense f32 [rows, c], or bit-packed 0/1 labels ([rows, ⌈c/32⌉] u32 words). */
export type YEncoding = 'f32' | 'bits';

/**
 * u32 words per row of bit-packed labels.
 * @param c - number of labels.
 * @returns ⌈c/32⌉.
 */
export function labelWords(c: number): number {
  return Math.ceil(c / 32);
}

/**
 * u32 words holding `rows` group indices at `bits` (8 or 16) each.
 * @param rows - rows to pack.
 * @param bits - bits per index (8 or 16).
 * @returns ⌈rows / (32/bits)⌉.
 */
export function groupWords(rows: number, bits: 8 | 16): number {
  return Math.ceil(rows / (32 / bits));
}

type Num = ArrayLike<number>;
type Where = (row: number, col: number) => string;
const at: Where = (row, col) => `row ${row}, column ${col}`;

/**
 * Group index per row of a one-hot S (n×m row-major), packed at `bits` per index. Throws an ArgumentError naming
 * the row and column of the first entry that is not 0/1, or the row that has no 1 or a second 1.
 * @param S - n·m one-hot values, row-major.
 * @param n - rows.
 * @param m - groups (≤ 2^bits).
 * @param bits - 8 or 16 bits per index.
 * @param where - names a (row, column) in error messages (default "row i, column k").
 * @returns the packed u32 words (`groupWords(n, bits)` of them).
 */
export function packGroups(S: Num, n: number, m: number, bits: 8 | 16, where: Where = at): Uint32Array {
  if (m > 2 ** bits) throw new ArgumentError(`packGroups: m = ${m} groups do not fit ${bits}-bit indices`);
  const out = new Uint32Array(groupWords(n, bits));
  const per = 32 / bits;
  for (let i = 0; i < n; i++) {
    let g = -1;
    for (let k = 0; k < m; k++) {
      const x = S[i * m + k];
      if (x === 0) continue;
      if (x !== 1) throw new ArgumentError(`S is not one-hot at ${where(i, k)}: ${x} (expected 0 or 1)`);
      if (g >= 0) throw new ArgumentError(`S is not one-hot at ${where(i, k)}: a second 1 (first in column ${g})`);
      g = k;
    }
    if (g < 0) throw new ArgumentError(`S is not one-hot at ${where(i, 0)}: the row has no 1`);
    out[Math.floor(i / per)] |= g << ((i % per) * bits);
  }
  return out;
}

/**
 * Bit-packed 0/1 labels of Y (n×c row-major). Throws an ArgumentError naming the first entry that is not 0/1.
 * @param Y - n·c values in {0, 1}, row-major.
 * @param n - rows.
 * @param c - labels.
 * @param where - names a (row, column) in error messages.
 * @returns n·⌈c/32⌉ u32 words.
 */
export function packLabels(Y: Num, n: number, c: number, where: Where = at): Uint32Array {
  const lw = labelWords(c);
  const out = new Uint32Array(n * lw);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < c; r++) {
      const y = Y[i * c + r];
      if (y === 0) continue;
      if (y !== 1) throw new ArgumentError(`Y is not 0/1 at ${where(i, r)}: ${y}`);
      out[i * lw + (r >> 5)] |= 1 << (r & 31);
    }
  }
  return out;
}

/**
 * Is every row of S (n×m) one-hot? (What `packGroups` accepts.)
 * @param S - n·m values, row-major.
 * @param n - rows.
 * @param m - columns.
 * @returns true when every row holds exactly one 1 and otherwise 0s.
 */
export function isOneHot(S: Num, n: number, m: number): boolean {
  for (let i = 0; i < n; i++) {
    let ones = 0;
    for (let k = 0; k < m; k++) {
      const x = S[i * m + k];
      if (x === 1) ones++;
      else if (x !== 0) return false;
    }
    if (ones !== 1) return false;
  }
  return true;
}

/**
 * Is every entry of Y 0 or 1? (What `packLabels` accepts.)
 * @param Y - the values.
 * @param len - how many of them to check.
 * @returns true when each of the first `len` values is 0 or 1.
 */
export function isBinary(Y: Num, len: number): boolean {
  for (let j = 0; j < len; j++) if (Y[j] !== 0 && Y[j] !== 1) return false;
  return true;
}

/**
 * Unpack group indices (for tests and the host side): row i's group.
 * @param G - packed words from `packGroups`.
 * @param i - row.
 * @param bits - bits per index used when packing.
 * @returns the group index of row i.
 */
export function groupAt(G: Num, i: number, bits: 8 | 16): number {
  const per = 32 / bits;
  return (G[Math.floor(i / per)] >>> ((i % per) * bits)) & (2 ** bits - 1);
}
