// Test-only plugin: pauses a run at a chosen checkpoint write or step so a test can SIGKILL it there.
'use strict';
const { writeFileSync } = require('node:fs');
const { definePlugin } = require('@aya-fw/core');

exports.default = definePlugin({
  name: 'pause-for-tests',
  apply(engine) {
    const marker = process.env.AYA_TEST_MARKER;
    const atCheckpoint = Number(process.env.AYA_TEST_PAUSE_CHECKPOINT ?? -1);
    const atStep = Number(process.env.AYA_TEST_PAUSE_STEP ?? -1);
    engine.hooks.checkpoint.tapPromise('pause', async (c) => {
      if (c.step !== atCheckpoint) return;
      writeFileSync(marker, c.dir);
      await new Promise((r) => setTimeout(r, 120000));
    });
    engine.hooks.step.tap('pause', (s) => {
      if (s.step !== atStep) return;
      writeFileSync(marker, String(s.step));
      const end = Date.now() + 120000;
      while (Date.now() < end) {
        /* held here until killed */
      }
    });
  },
});
