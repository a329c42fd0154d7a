// Option parsing shared by the balance, train and debias resolvers: one number checker, one choice checker, one
// typed error. Values may arrive as numbers (SDK) or as strings (CLI flags, form fields): strings are parsed
// strictly, so a blank or non-numeric value is refused by name instead of reading as 0 (`Number(" ") === 0`).
import { ArgumentError } from '@m4kit/kernels';

/**
 * A bad option value (usage error). `option` is the name the caller knows it by (`eta`, `--eta`, `keep rate η`).
 * A subclass of `ArgumentError` (code `E_ARGUMENT`): the CLI maps it to exit code 2.
 */
export class OptionError extends ArgumentError {
  readonly option: string;
  constructor(option: string, message: string) {
    super(message);
    this.option = option;
  }
}

/** Display names for options in error messages, by option key (defaults to the key itself). */
export type OptionLabels = Readonly<Record<string, string>>;

/**
 * The name an option is shown under: the caller's label (e.g. '--eta'), else its key.
 * @param labels - the caller's labels.
 * @param key - the option's key.
 * @returns the label.
 */
export const label = (labels: OptionLabels | undefined, key: string): string => labels?.[key] ?? key;

/** A valid value: `what` completes "<option> must be …" (e.g. "in (0, 1]"). */
export interface NumberRule {
  what: string;
  ok: (x: number) => boolean;
  /** a refused value is shown as given ("4294967297" in quotes for a string), not as the number it parsed to */
  asGiven?: boolean;
}

/**
 * The shared number rules (positive, non-negative, finite, integer ≥ 1, …) for `numberOption`.
 */
export const RULES = {
  positive: { what: 'a positive number', ok: (x: number) => Number.isFinite(x) && x > 0 },
  nonNegative: { what: 'a finite number ≥ 0', ok: (x: number) => Number.isFinite(x) && x >= 0 },
  finite: { what: 'a finite number', ok: Number.isFinite },
  positiveInt: { what: 'an integer ≥ 1', ok: (x: number) => Number.isInteger(x) && x >= 1 },
  nonNegativeInt: { what: 'an integer ≥ 0', ok: (x: number) => Number.isInteger(x) && x >= 0 },
  fraction: { what: 'in (0, 1]', ok: (x: number) => x > 0 && x <= 1 },
} satisfies Record<string, NumberRule>;

const show = (raw: unknown) => (typeof raw === 'string' ? `"${raw}"` : String(raw));

/**
 * Reads a number option; throws `OptionError` naming the option.
 * @param name - the option's name in the message.
 * @param raw - a number or a numeric string.
 * @param rule - what a valid value is.
 * @returns the number.
 * @throws OptionError naming the option and the rule.
 */
export function numberOption(name: string, raw: unknown, rule: NumberRule): number {
  let x: number;
  if (typeof raw === 'number') x = raw;
  else if (typeof raw === 'string') {
    const s = raw.trim();
    if (s === '') throw new OptionError(name, `${name} is blank: expected ${rule.what}`);
    x = Number(s);
    if (Number.isNaN(x)) throw new OptionError(name, `${name} must be ${rule.what}, got ${show(raw)} (not a number)`);
  } else throw new OptionError(name, `${name} must be ${rule.what}, got ${show(raw)}`);
  if (!rule.ok(x))
    throw new OptionError(name, `${name} must be ${rule.what}, got ${rule.asGiven ? show(raw) : String(x)}`);
  return x;
}

/**
 * `numberOption`, or `fallback` when the value is absent (undefined or null).
 * @param name - the option's name in the message.
 * @param raw - the value, or undefined / null.
 * @param rule - what a valid value is.
 * @param fallback - the default.
 * @returns the number.
 * @throws OptionError naming the option and the rule.
 */
export function optionalNumber(name: string, raw: unknown, rule: NumberRule, fallback: number): number {
  return raw === undefined || raw === null ? fallback : numberOption(name, raw, rule);
}

/**
 * One of `allowed`, or `OptionError` naming the option and the allowed values.
 * @param name - the option's name in the message.
 * @param raw - the value.
 * @param allowed - the allowed values.
 * @param fallback - the default for an absent value (none: absent is an error).
 * @returns the value.
 * @throws OptionError naming the option and the allowed values.
 */
export function choiceOption<T extends string>(name: string, raw: unknown, allowed: readonly T[], fallback?: T): T {
  if ((raw === undefined || raw === null) && fallback !== undefined) return fallback;
  if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T;
  throw new OptionError(name, `${name} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${show(raw)}`);
}
