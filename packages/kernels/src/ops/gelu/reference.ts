// Float64 references of the GELU activations CLIP towers use (test oracle and the CPU backend):
//   erf:   gelu(x) = x·Φ(x) = x·½·erfc(−x/√2)          (open_clip, PyTorch nn.GELU())
//   quick: quickGelu(x) = x·σ(1.702·x)                  (OpenAI CLIP's QuickGELU)

export type GeluKind = 'erf' | 'quick';
export const GELU_KINDS: readonly GeluKind[] = ['erf', 'quick'];
export const QUICK_GELU_ALPHA = 1.702;

/**
 * erfc(z) in float64 (relative error < 2e-14 on [−10, 10] against Python's math.erfc): for |z| < 1.5 the series
 * erf(z) = 2/√π·e^{−z²}·Σ 2ⁿz^{2n+1}/(1·3·…·(2n+1)) (no cancellation); above, the continued fraction
 * erfc(z) = e^{−z²}/√π · 1/(z + ½/(z + 1/(z + 3/2/(z + …)))), evaluated backwards from 300 terms.
 */
export function erfc(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z < 0) return 2 - erfc(-z);
  if (z < 1.5) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
      term *= (2 * z * z) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-z * z) * sum;
  }
  let f = z;
  for (let k = 300; k >= 1; k--) f = z + k / 2 / f;
  return Math.exp(-z * z) / (Math.sqrt(Math.PI) * f);
}

export function geluErfRef1(x: number): number {
  return x * 0.5 * erfc(-x / Math.SQRT2);
}

export function quickGeluRef1(x: number): number {
  const v = QUICK_GELU_ALPHA * x;
  const s = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
  return x * s;
}

/** Elementwise GELU (`kind` 'erf', exact) or QuickGELU ('quick') in float64. */
export function geluActRef(x: ArrayLike<number>, kind: GeluKind = 'erf'): Float64Array {
  const f = kind === 'quick' ? quickGeluRef1 : geluErfRef1;
  return Float64Array.from(x, f);
}
