// @m4kit/sdk/options — the options layer alone (defaults, resolvers, OptionError): small enough for a page's
// main thread, which checks a form before it posts work to a worker.
export * from './balance/options.js';
export {
  feasibleEtaOptionsFrom,
  resolveFeasibleEtaOptions,
  resolveSolveOptions,
  resolveStreamOptions,
  solverOptionsFrom,
  streamEpochs,
  type ResolvedFeasibleEtaOptions,
  type ResolvedSolveOptions,
  type ResolvedStreamOptions,
} from './balance/solver-options.js';

export * from './options.js';
