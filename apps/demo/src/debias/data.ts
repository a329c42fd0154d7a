// The Debias tab's data: the bundled example (data/debias-emoji, made by scripts/make-debias-example.mjs, served
// as static assets, described by its manifest.json) or your own files, one per role. Loading sets the store: the
// files, the summary line, the column pickers.
import { parseTableBytes } from '@m4kit/sdk';
import { $ } from '../dom';
import type { DebiasFiles, FileIn } from './protocol';
import { store } from './store';

const EXAMPLE = import.meta.glob('../../../../data/debias-emoji/*.{npy,csv,txt,json}', {
  query: '?url',
  import: 'default',
  eager: true,
}) as Record<string, string>;
const exampleUrl = (file: string) => {
  const u = Object.entries(EXAMPLE).find(([k]) => k.endsWith(`/${file}`))?.[1];
  if (!u) throw new Error(`the bundled example has no file ${file}`);
  return u;
};

interface Manifest {
  name: string;
  title: string;
  attributes: string[];
  classColumn: string;
  train: Record<'images' | 'captions' | 'counterfactuals' | 'metadata', string>;
  validation?: Record<'images' | 'metadata', string>;
  eval: Record<string, string>;
  rows: { train: number; validation?: number; eval: number };
}

async function fetchFile(file: string): Promise<FileIn> {
  const res = await fetch(exampleUrl(file));
  if (!res.ok) throw new Error(`could not fetch the bundled ${file}: HTTP ${res.status}`);
  return { name: file, bytes: await res.arrayBuffer() };
}

async function columnNames(meta: FileIn): Promise<string[]> {
  return (await parseTableBytes(meta.bytes, meta.name)).columns;
}

export async function loadExample(): Promise<void> {
  const m = (await (await fetch(exampleUrl('manifest.json'))).json()) as Manifest;
  const get = (f: string | undefined) => (f ? fetchFile(f) : Promise.resolve(undefined));
  const [trainImages, trainCaptions, trainCounterfactuals, trainMeta, evalImages, evalMeta] = await Promise.all(
    [m.train.images, m.train.captions, m.train.counterfactuals, m.train.metadata, m.eval.images, m.eval.metadata].map(
      fetchFile,
    ),
  );
  const [biasPrompts, biasPromptNames, zeroshotPrompts, zeroshotPromptMeta, spuriousPrompts, candidatePrompts] =
    await Promise.all(
      [
        m.eval.biasPrompts,
        m.eval.biasPromptNames,
        m.eval.zeroshotPrompts,
        m.eval.zeroshotPromptMeta,
        m.eval.spuriousPrompts,
        m.eval.candidatePrompts,
      ].map(get),
    );
  const [valImages, valMeta] = await Promise.all([m.validation?.images, m.validation?.metadata].map(get));
  const files: DebiasFiles = {
    valImages,
    valMeta,
    trainImages,
    trainCaptions,
    trainCounterfactuals,
    trainMeta,
    evalImages,
    evalMeta,
    biasPrompts: biasPrompts!,
    biasPromptNames,
    zeroshotPrompts: zeroshotPrompts!,
    zeroshotPromptMeta: zeroshotPromptMeta!,
    spuriousPrompts,
    candidatePrompts,
  };
  store.set({ files, dataName: m.name, pairs: m.eval.candidatePairs ?? '' });
  store.set({
    columns: { names: await columnNames(evalMeta), attributes: m.attributes, classColumn: m.classColumn },
    dataSummary:
      `Bundled example "${m.name}": ${m.title}. ${m.rows.train} training images with captions and counterfactual ` +
      `captions, ${m.rows.validation ?? 0} validation images (early stopping), ${m.rows.eval} evaluation images ` +
      '(data/debias-emoji; provenance and licences in its README).',
  });
}

const ROLES = [
  'trainImages',
  'trainCaptions',
  'trainCounterfactuals',
  'trainMeta',
  'valImages',
  'valMeta',
  'evalImages',
  'evalMeta',
  'biasPrompts',
  'biasPromptNames',
  'zeroshotPrompts',
  'zeroshotPromptMeta',
  'spuriousPrompts',
  'candidatePrompts',
] as const;
const REQUIRED = new Set([
  'trainImages',
  'trainCaptions',
  'trainCounterfactuals',
  'evalImages',
  'evalMeta',
  'biasPrompts',
  'zeroshotPrompts',
  'zeroshotPromptMeta',
]);

/** Your files, from the file inputs (#db-f-<role>); the required ones missing are named by their labels. */
export async function loadOwn(): Promise<void> {
  const got: Partial<Record<(typeof ROLES)[number], FileIn>> = {};
  const missing: string[] = [];
  for (const r of ROLES) {
    const input = $(`db-f-${r}`) as HTMLInputElement;
    const f = input.files?.[0];
    if (f) got[r] = { name: f.name, bytes: await f.arrayBuffer() };
    else if (REQUIRED.has(r)) missing.push(document.querySelector(`label[for="db-f-${r}"]`)?.textContent ?? r);
  }
  if (missing.length) throw new Error(`choose: ${missing.join('; ')}`);
  store.set({ files: got as DebiasFiles, dataName: got.trainImages!.name.replace(/\.[^.]+$/, '') });
  const t = await parseTableBytes(got.evalMeta!.bytes, got.evalMeta!.name);
  store.set({
    columns: { names: t.columns, attributes: t.columns.slice(0, 1), classColumn: t.columns[1] ?? t.columns[0] },
    dataSummary: `Your files: training ${got.trainImages!.name}, evaluation ${got.evalImages!.name} (${t.rows.length} rows).`,
  });
}
