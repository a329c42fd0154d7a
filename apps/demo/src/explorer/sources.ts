// Where the explorer's data comes from: the synthetic example (trained in the worker, progress on the status
// line, cancellable), your .npy files + a metadata table (checked here, with file names in every message), or the
// Embed tab's handoff (handoff.ts).
import { parseNpyBytes, parseTableBytes } from '@m4kit/sdk';
import { $ } from '../dom';
import { client, store } from './store';
import type { ExplorerData } from './types';

export function fromExample(): Promise<ExplorerData> {
  return client.call<ExplorerData>({ type: 'example' }, { onProgress: (p) => store.set({ status: p.text }) });
}

/** The columns of the chosen metadata table (for the group and q pickers). */
export async function metaColumns(f: File): Promise<string[]> {
  return (await parseTableBytes(await f.arrayBuffer(), f.name)).columns;
}

export async function fromFiles(): Promise<ExplorerData> {
  const file = (id: string) => ($(id) as HTMLInputElement).files?.[0] ?? null;
  const imgF = file('ex-images');
  const metaF = file('ex-meta');
  if (!imgF) throw new Error('choose the image embeddings (.npy)');
  if (!metaF) throw new Error('choose the metadata table (one row per image)');
  const npy = async (f: File | null) => (f ? parseNpyBytes(await f.arrayBuffer(), f.name) : null);
  const img = (await npy(imgF))!;
  const after = await npy(file('ex-images-after'));
  const qb = await npy(file('ex-queries'));
  const qa = await npy(file('ex-queries-after'));
  const f32 = (e: { data: ArrayLike<number> }) => Float32Array.from(e.data);
  if (after && (after.n !== img.n || after.d !== img.d))
    throw new Error(
      `${file('ex-images-after')!.name}: [${after.n}, ${after.d}] does not match the images [${img.n}, ${img.d}]`,
    );
  for (const [q, f] of [
    [qb, file('ex-queries')],
    [qa, file('ex-queries-after')],
  ] as const) {
    if (q && q.d !== img.d) throw new Error(`${f!.name}: dimension ${q.d}, the images have ${img.d}`);
  }
  const chunk = await parseTableBytes(await metaF.arrayBuffer(), metaF.name);
  if (chunk.rows.length !== img.n)
    throw new Error(
      `${metaF.name}: ${chunk.rows.length} rows, but ${imgF.name} has ${img.n} embeddings (one metadata row per image)`,
    );
  const gcol = ($('ex-group') as HTMLSelectElement).value;
  const qcol = ($('ex-q') as HTMLSelectElement).value;
  if (!gcol) throw new Error('choose the group column');
  const names: string[] = [];
  const index = new Map<string, number>();
  const group = new Uint32Array(img.n);
  const q = qcol ? new Float64Array(img.n) : undefined;
  const rows = chunk.rows.map((r, i) => {
    const g = r[gcol] == null ? 'NA' : String(r[gcol]);
    if (!index.has(g)) {
      index.set(g, names.length);
      names.push(g);
    }
    group[i] = index.get(g)!;
    if (q) {
      const v = Number(r[qcol]);
      // line i + 2: the header is line 1
      if (!(v >= 0 && v <= 1))
        throw new Error(
          `${metaF.name}, row ${i + 1} (line ${i + 2}), column ${qcol}: q = ${String(r[qcol])} is not in [0, 1]`,
        );
      q[i] = v;
    }
    return Object.fromEntries(chunk.columns.map((c) => [c, r[c] == null ? '' : String(r[c])]));
  });
  const nameText = file('ex-names') ? (await file('ex-names')!.text()).split(/\r?\n/).filter((s) => s.trim()) : [];
  const queries = qb
    ? {
        names: Array.from({ length: qb.n }, (_, i) => nameText[i] ?? `query ${i}`),
        before: f32(qb),
        after: qa ? f32(qa) : undefined,
      }
    : undefined;
  if (qa && qb && qa.n !== qb.n)
    throw new Error(`${file('ex-queries-after')!.name}: ${qa.n} queries, ${file('ex-queries')!.name} has ${qb.n}`);
  return {
    source:
      `your files: ${imgF.name}${after ? ` (after: ${file('ex-images-after')!.name})` : ''}, ${metaF.name}` +
      (qb ? `, queries ${file('ex-queries')!.name}` : ''),
    D: img.d,
    n: img.n,
    groupNames: names,
    group,
    q,
    rows,
    images: { before: f32(img), after: after ? f32(after) : undefined },
    queries,
  };
}
