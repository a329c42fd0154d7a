// Phase timings of a pipeline run (Node), printed to stderr as one JSON line when M4KIT_PHASES is set: wall and CPU
// milliseconds per phase (CPU = the process' user + system time, DuckDB's threads included), and the time from
// process start to the first mark (startup and module loading). For finding where a run's time goes
// (bench/tables.mjs records it); prints nothing otherwise.

export interface PhaseTimer {
  /** ends the current phase under `name` */
  mark(name: string): void;
  /** prints the phases (when enabled) */
  done(what: string): void;
}

const off: PhaseTimer = { mark: () => {}, done: () => {} };

/** A timer whose first phase starts now; `startup` is the time from process start to this call. */
export function phaseTimer(): PhaseTimer {
  if (typeof process === 'undefined' || !process.env.M4KIT_PHASES) return off;
  const phases: Record<string, { wallMs: number; cpuMs: number }> = {};
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let t = performance.now();
  let c = cpu();
  phases.startup = { wallMs: t, cpuMs: c };
  return {
    mark(name) {
      const t1 = performance.now();
      const c1 = cpu();
      const p = (phases[name] ??= { wallMs: 0, cpuMs: 0 });
      p.wallMs += t1 - t;
      p.cpuMs += c1 - c;
      t = t1;
      c = c1;
    },
    done(what) {
      const r = (x: number) => Math.round(x * 10) / 10;
      const out = Object.fromEntries(
        Object.entries(phases).map(([k, v]) => [k, { wallMs: r(v.wallMs), cpuMs: r(v.cpuMs) }]),
      );
      process.stderr.write(
        `m4kit: phases ${JSON.stringify({ what, total: { wallMs: r(t), cpuMs: r(c) }, phases: out })}\n`,
      );
    },
  };
}
