// Commander argument parsers shared by the commands' flag declarations.
import { InvalidArgumentError } from 'commander';

/** A number flag: blank or non-numeric text is a usage error naming the flag. */
export const num = (name: string) => (v: string) => {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError(`${name} must be a number.`);
  return x;
};
/** A comma list flag: items trimmed, empty items dropped. */
export const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
