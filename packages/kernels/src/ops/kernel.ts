// One way to declare a kernel. A definition names its uniform fields once, with their WGSL types; from it come
// the WGSL `Params` struct (binding 0, read as `p.<field>`), the uniform bytes packed by field name, named u32
// constants shared with TypeScript, and the pipeline cache key: the kernel's name plus the spec values, which
// are exactly what `source(spec)` may depend on (shapes and offsets travel in the uniform, never in the key).
// Storage bindings are named on both sides too: the WGSL declares `@group(0) @binding(n) var<storage, …> NAME`,
// a dispatch passes `bindings: { NAME: resource }`; the kernel matches them by name (a missing or unknown name is
// an error naming both) and builds an explicit bind group layout from the declarations, so a binding the source
// does not read for some spec stays in the layout (no `_ = arrayLength(&Y)` to keep it alive).
import type { BindingResource, DispatchSpec, GpuContext } from '../runtime/context.js';

/** The WGSL type of a kernel's uniform parameter. */
export type ParamType = 'u32' | 'i32' | 'f32';
export type ParamFields = Record<string, ParamType>;
/** A kernel's uniform parameter values, by field name. */
export type ParamValues<P extends ParamFields> = { readonly [K in keyof P]: number };
/** What a source may depend on: a few scalars (variant names, flags, sizes baked into the WGSL). */
export type Spec = Record<string, string | number | boolean>;

/** What `defineKernel` takes: name, uniform parameters, named constants, WGSL enables and the source. */
export interface KernelDefinition<P extends ParamFields, S extends Spec> {
  /** `family:kernel`, unique per source function: the cache key's prefix */
  name: string;
  /** uniform fields in struct order; 4 bytes each, the block padded to 16 bytes */
  params: P;
  /** named u32 constants, emitted as `const NAME: u32 = Vu;` so TypeScript and WGSL share one value */
  constants?: Readonly<Record<string, number>>;
  /** `enable` directives (before everything else in the module), e.g. ['f16'] */
  enables?: (spec: S) => readonly string[];
  /** the WGSL after the generated struct and constants: bindings from 1, helpers, `main`; pure in `spec` */
  source: (spec: S) => string;
  entryPoint?: string;
}

/** A kernel made by `defineKernel`: dispatch it with a spec, parameters, bindings and workgroups. */
export interface Kernel<P extends ParamFields, S extends Spec> {
  readonly name: string;
  readonly params: P;
  /** pipeline cache key: name, then the spec's entries in key order */
  key(spec: S): string;
  /** the complete WGSL module */
  wgsl(spec: S): string;
  /** uniform block, fields packed by name in declaration order */
  pack(values: ParamValues<P>): ArrayBuffer;
  pipeline(ctx: GpuContext, spec: S): GPUComputePipeline;
  /** the storage bindings the source declares for `spec`, in binding order */
  storage(spec: S): readonly StorageBinding[];
  /**
   * A dispatch of this kernel: its uniform buffer (pushed onto `temps`, released after the submit that uses it)
   * at binding 0, then the storage bindings matched by name.
   */
  dispatch(ctx: GpuContext, args: DispatchArgs<P, S>): DispatchSpec;
}

export interface DispatchArgs<P extends ParamFields, S extends Spec> {
  spec: S;
  params: ParamValues<P>;
  /** storage bindings by their WGSL names */
  bindings: Readonly<Record<string, BindingResource>>;
  workgroups: [number, number?, number?];
  temps: GPUBuffer[];
  /** pass label (default: the kernel's name) */
  op?: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const STORAGE = /@group\(0\)\s*@binding\((\d+)\)\s*var<storage,\s*(read|read_write)>\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/g;

/** A storage binding as the WGSL declares it. */
export interface StorageBinding {
  binding: number;
  name: string;
  access: 'read' | 'read_write';
}

function parseStorage(kernel: string, wgsl: string): StorageBinding[] {
  const out: StorageBinding[] = [];
  for (const m of wgsl.matchAll(STORAGE)) {
    out.push({ binding: Number(m[1]), access: m[2] as 'read' | 'read_write', name: m[3] });
  }
  out.sort((a, b) => a.binding - b.binding);
  out.forEach((b, i) => {
    if (b.binding !== i + 1) throw new Error(`defineKernel ${kernel}: storage bindings must be numbered 1, 2, …`);
  });
  return out;
}

/**
 * Declare a WGSL compute kernel: the uniform `Params` struct (binding 0, read as `p.<field>`) is generated from
 * `params`, named u32 constants are shared with TypeScript, storage bindings are matched by their WGSL names, and
 * the pipeline is cached by the kernel's name plus the spec values `source(spec)` depends on.
 *
 * @param def - name, uniform parameter types, constants, WGSL enables and `source(spec)`
 * @returns the kernel: `kernel.dispatch(ctx, { spec, params, bindings, workgroups, temps })`
 */
export function defineKernel<P extends ParamFields, S extends Spec = Record<string, never>>(
  def: KernelDefinition<P, S>,
): Kernel<P, S> {
  const fields = Object.entries(def.params) as [string, ParamType][];
  for (const [f] of fields) if (!IDENT.test(f)) throw new Error(`defineKernel ${def.name}: bad field name "${f}"`);
  const slots = Math.ceil(Math.max(1, fields.length) / 4) * 4;
  const struct = `struct Params { ${fields.map(([f, t]) => `${f}: ${t}`).join(', ')} };
@group(0) @binding(0) var<uniform> p: Params;
`;
  const consts = Object.entries(def.constants ?? {})
    .map(([c, v]) => {
      if (!IDENT.test(c) || !Number.isInteger(v) || v < 0)
        throw new Error(`defineKernel ${def.name}: bad constant ${c}`);
      return `const ${c}: u32 = ${v}u;\n`;
    })
    .join('');
  const key = (spec: S): string => {
    const ks = Object.keys(spec).sort();
    return ks.length ? `${def.name}:${ks.map((k) => `${k}=${spec[k]}`).join(',')}` : def.name;
  };
  const wgsl = (spec: S): string => {
    const en = def.enables?.(spec) ?? [];
    return `${en.map((e) => `enable ${e};\n`).join('')}${struct}${consts}${def.source(spec)}`;
  };
  const pack = (values: ParamValues<P>): ArrayBuffer => {
    const buf = new ArrayBuffer(slots * 4);
    const u = new Uint32Array(buf);
    const f = new Float32Array(buf);
    const i = new Int32Array(buf);
    fields.forEach(([name, type], k) => {
      const v = values[name];
      if (typeof v !== 'number') throw new Error(`${def.name}: uniform field "${name}" is missing`);
      if (type === 'u32') u[k] = v >>> 0;
      else if (type === 'f32') f[k] = v;
      else i[k] = v;
    });
    for (const name of Object.keys(values)) {
      if (!(name in def.params)) throw new Error(`${def.name}: unknown uniform field "${name}"`);
    }
    return buf;
  };
  const parsed = new Map<string, StorageBinding[]>();
  const storage = (spec: S): StorageBinding[] => {
    const k = key(spec);
    let b = parsed.get(k);
    if (!b) parsed.set(k, (b = parseStorage(def.name, wgsl(spec))));
    return b;
  };
  const layoutEntries = (spec: S): GPUBindGroupLayoutEntry[] => [
    { binding: 0, visibility: 4 /* GPUShaderStage.COMPUTE */, buffer: { type: 'uniform' } },
    ...storage(spec).map((b) => ({
      binding: b.binding,
      visibility: 4 /* GPUShaderStage.COMPUTE */,
      buffer: { type: b.access === 'read' ? ('read-only-storage' as const) : ('storage' as const) },
    })),
  ];
  const pipeline = (ctx: GpuContext, spec: S) =>
    ctx.pipeline(
      key(spec),
      () => wgsl(spec),
      def.entryPoint,
      () => layoutEntries(spec),
    );
  return {
    name: def.name,
    params: def.params,
    key,
    wgsl,
    pack,
    pipeline,
    storage,
    dispatch(ctx, a) {
      const decl = storage(a.spec);
      const named = decl.map((b) => {
        const r = a.bindings[b.name];
        if (r === undefined) throw new Error(`${def.name}: storage binding "${b.name}" is missing`);
        return r;
      });
      for (const name of Object.keys(a.bindings)) {
        if (!decl.some((b) => b.name === name))
          throw new Error(
            `${def.name}: unknown storage binding "${name}" (the WGSL declares ${decl.map((b) => b.name)})`,
          );
      }
      const u = ctx.uniform(pack(a.params));
      a.temps.push(u);
      return {
        op: a.op ?? def.name,
        pipeline: pipeline(ctx, a.spec),
        bindings: [{ buffer: u }, ...named],
        workgroups: a.workgroups,
      };
    },
  };
}
