// Nothing silent (#24): an empty image / text / query set made the evaluation tasks return NaN metrics (0/0) as if
// they were measurements; now each is an ArgumentError naming the task and the empty set.
import { ArgumentError, CpuKernels } from '@m4kit/kernels';
import { describe, expect, test } from 'vitest';
import { biasRetrieval, retrieval, zeroShot } from '../../src/evaluate/tasks.js';

const k = new CpuKernels();
const emb = (rows: number[][]) => ({ n: rows.length, d: 2, data: new Float32Array(rows.flat()) });
const none = emb([]);
const two = emb([
  [1, 0],
  [0, 1],
]);

describe('evaluation tasks refuse empty sets instead of returning NaN', () => {
  test('zeroShot: no images / no classes', async () => {
    await expect(zeroShot(k, none, two, [])).rejects.toThrow(ArgumentError);
    await expect(zeroShot(k, none, two, [])).rejects.toThrow(/zero-shot: no images \(0 rows\)/);
    await expect(zeroShot(k, two, none, [0, 0])).rejects.toThrow(/zero-shot: no classes/);
    const ok = await zeroShot(k, two, two, [0, 1]);
    expect(ok.top1).toBe(1);
  });
  test('retrieval: no images / no captions', async () => {
    await expect(retrieval(k, none, two, [0, 0])).rejects.toThrow(/retrieval: no images/);
    await expect(retrieval(k, two, none, [])).rejects.toThrow(/retrieval: no texts/);
    const ok = await retrieval(k, two, two, [0, 1]);
    expect(ok.textToImage['R@1']).toBe(1);
  });
  test('biasRetrieval: no images / no queries', async () => {
    await expect(biasRetrieval(k, none, [], ['a', 'b'], two, ['q1', 'q2'])).rejects.toThrow(/bias: no images/);
    await expect(biasRetrieval(k, two, [0, 1], ['a', 'b'], none, [])).rejects.toThrow(/bias: no queries/);
  });
});
