// WebGPU panel: asks the worker for an adapter, says which one runs the solver, offers the CPU backend.
import { CancelledError } from '../client';
import { $ } from '../dom';
import type { ProbeResult } from '../protocol';
import { client, store } from '../store';

export async function probe(): Promise<void> {
  try {
    const p = await client.call<ProbeResult>({ type: 'probe' });
    store.set({ gpuOk: p.webgpu });
    if (p.webgpu) {
      $('gpu-status').textContent =
        `WebGPU adapter: ${p.adapter}${p.isSoftware ? ' (software rasteriser: slower than a real GPU)' : ''}. The solver runs in a worker.`;
      $('gpu-missing').hidden = true;
    } else {
      $('gpu-status').textContent = 'No WebGPU adapter: using the CPU backend.';
      $('gpu-reason').textContent = p.reason ?? '';
      $('gpu-missing').hidden = false;
      ($('backend') as HTMLSelectElement).value = 'cpu';
      const opt = ($('backend') as HTMLSelectElement).querySelector('option[value="webgpu"]') as HTMLOptionElement;
      opt.disabled = true;
      opt.textContent = 'WebGPU (not available in this browser)';
    }
  } catch (e) {
    if (!(e instanceof CancelledError)) $('gpu-status').textContent = `WebGPU check failed: ${(e as Error).message}`;
  }
}

export function initProbePanel(): void {
  $('use-cpu').addEventListener('click', () => {
    ($('backend') as HTMLSelectElement).value = 'cpu';
    $('gpu-status').textContent = 'CPU backend selected (float64).';
    $('backend').focus();
  });
}
