import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '@aya-fw/core';
import { createTestEngine, recordingReporter } from '@aya-fw/core/testing';
import data from '@aya-fw/plugin-data';
import onlineRl, { BACK_TO_BASICS_SIZES, runBackToBasics } from '@aya-fw/plugin-online-rl';
import optimizers from '@aya-fw/plugin-optimizers';
import sft from '@aya-fw/plugin-sft';

// `aya-fw repro back-to-basics --size reduced`: two seeds instead of four (about two minutes on 2
// cores, wasm backend with the native kernels). The CLI's full size reports four.
describe('repro back-to-basics (reduced size)', () => {
  it('every estimator raises the held-out reward of the SFT policy; the table, verdict and figure are written', async () => {
    await selectBackend('wasm');
    const reporter = recordingReporter();
    const engine = await createTestEngine({ plugins: [data, optimizers, sft, onlineRl], backend: 'wasm', reporter });
    const out = mkdtempSync(join(tmpdir(), 'aya-b2b-'));
    const r = await runBackToBasics(engine, reporter, out, BACK_TO_BASICS_SIZES.reduced);
    expect(Object.keys(r.methods)).toEqual(['vanilla-pg', 'reinforce-ma', 'rloo-k2', 'rloo-k4', 'grpo-k4']);
    for (const [method, m] of Object.entries(r.methods)) {
      expect([method, m.finalRewards.length]).toEqual([method, 2]);
      expect([method, m.finalReward > r.sftReward]).toEqual([method, true]);
      expect([method, m.curve.length]).toEqual([method, BACK_TO_BASICS_SIZES.reduced.steps]);
    }
    // The samples every method sees are the same: 16 completions per batch.
    expect(r.methods['rloo-k4'].curve[0][0]).toBe(16);
    const report = readFileSync(r.report!, 'utf8');
    expect(report).toContain('| method | held-out reward, mean ± s.e. |');
    expect(report).toMatch(/RLOO ≥ REINFORCE-MA (holds|does not hold); REINFORCE-MA > vanilla PG (holds|does not hold)/);
    expect(readFileSync(r.figure!).subarray(1, 4).toString()).toBe('PNG');
  }, 600_000);
});
