// What the command registrations share: the exit-code help line and the option value parsers.
import { InvalidArgumentError } from 'commander';

/** the one exit-code table, in every command's help (README "Exit codes", docs/reliability.md) */
export const EXIT_HELP =
  'Exit codes: 0 ok, 2 bad input or usage (or an output that cannot be written), 3 infeasible (balance), ' +
  '4 stopped at --max-iter with constraints violated (balance), 130 interrupted (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT)';

/** a number option's parser: blank or non-numeric values are usage errors naming the option */
export const num = (name: string) => (v: string) => {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError(`${name} must be a number.`);
  return x;
};
/** a comma list option's parser: trimmed, empty items dropped */
export const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
