// Test-only plugin: pauses a run at a chosen checkpoint write or step so a test can SIGKILL it there,
// or sends the process a real SIGINT at a chosen step.
'use strict';
const { writeFileSync } = require('node:fs');
const { definePlugin } = require('@aya-fw/core');

exports.default = definePlugin({
  name: 'pause-for-tests',
  apply(engine) {
    const marker = process.env.AYA_TEST_MARKER;
    const atCheckpoint = Number(process.env.AYA_TEST_PAUSE_CHECKPOINT ?? -1);
    const atStep = Number(process.env.AYA_TEST_PAUSE_STEP ?? -1);
    // Only in this stage (e.g. `online-dpo/iteration-2`), when set.
    const inStage = process.env.AYA_TEST_PAUSE_STAGE;
    const here = (stage) => inStage === undefined || stage === inStage;
    engine.hooks.checkpoint.tapPromise('pause', async (c) => {
      if (c.step !== atCheckpoint || !here(c.stage)) return;
      writeFileSync(marker, c.dir);
      await new Promise((r) => setTimeout(r, 120000));
    });
    const interruptAt = Number(process.env.AYA_TEST_SIGINT_STEP ?? -1);
    engine.hooks.step.tap('interrupt', (s) => {
      if (s.step === interruptAt && here(s.stage)) process.kill(process.pid, 'SIGINT');
    });
    engine.hooks.step.tap('pause', (s) => {
      if (s.step !== atStep || !here(s.stage)) return;
      writeFileSync(marker, String(s.step));
      const end = Date.now() + 120000;
      while (Date.now() < end) {
        /* held here until killed */
      }
    });
  },
});
