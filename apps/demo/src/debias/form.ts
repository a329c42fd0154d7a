// The Debias tab's form → the worker's request: numbers checked with the field named, the attributes in the
// order chosen (the first drives validation), the baselines' settings.
import { $, selected } from '../dom';
import type { DebiasRequest, TrainSettings } from './protocol';
import { store } from './store';

function num(id: string, what: string, int: boolean): number {
  const raw = ($(id) as HTMLInputElement).value.trim();
  const x = Number(raw);
  if (raw === '' || !Number.isFinite(x) || (int && !Number.isInteger(x)))
    throw new Error(`${what}: "${raw}" is not ${int ? 'an integer' : 'a number'}`);
  return x;
}

/** chosen attributes, the first one first (the example pre-selects gender, tone) */
function attributes(): string[] {
  const sel = selected('db-attributes');
  const order = store.get().columns?.attributes ?? [];
  return [...order.filter((a) => sel.includes(a)), ...sel.filter((a) => !order.includes(a))];
}

export function request(): DebiasRequest {
  const { files, dataName } = store.get();
  if (!files) throw new Error('load the bundled example or your files first');
  const train: TrainSettings = {
    epochs: num('db-epochs', 'epochs', true),
    batchSize: num('db-batchSize', 'batch size', true),
    queueSize: num('db-queueSize', 'queue size', true),
    lr: num('db-lr', 'learning rate', false),
    hidden1: num('db-hidden1', 'image MLP width', true),
    hidden2: num('db-hidden2', 'shared MLP width', true),
    tau: num('db-tau', 'temperature τ', false),
    alpha: num('db-alpha', 'α', false),
    seed: num('db-seed', 'seed', true),
    evalEvery: num('db-evalEvery', 'evaluate every', true),
    patience: num('db-patience', 'patience', true),
  };
  return {
    files,
    attributes: attributes(),
    classColumn: ($('db-class') as HTMLSelectElement).value,
    k: num('db-k', 'k', true),
    train,
    backend: ($('db-backend') as HTMLSelectElement).value as 'webgpu' | 'cpu',
    clipClip: {
      enabled: ($('db-clipclip') as HTMLInputElement).checked,
      m: num('db-clipclip-m', 'CLIP-clip dimensions', true),
    },
    biasedPrompts: {
      enabled: ($('db-biased') as HTMLInputElement).checked,
      lambda: num('db-lambda', 'biased prompts λ', false),
      pairs: ($('db-pairs') as HTMLInputElement).value,
    },
    name: dataName,
  };
}
