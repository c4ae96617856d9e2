const core = require('@aya-fw/core');
const merge = require('@aya-fw/plugin-merge').default;
(async () => {
  const e = core.createEngine({ plugins: [merge] });
  const dir = '/tmp/benchpool';
  if (!require('fs').existsSync(dir)) { for (let i = 0; i < 3; i++) core.writeSyntheticModel(dir + '/model-' + i, 0.5, i + 1); }
  require('fs').writeFileSync(dir + '/m.yml', 'merge_method: linear\nmodels:\n' + [0,1,2].map(i => `  - model: model-${i}\n    parameters: { weight: 0.33 }\n`).join('') + 'dtype: bfloat16\n');
  require('fs').rmSync(dir + '/out', { recursive: true, force: true });
  const t = Date.now();
  const s = await core.runMerge(e, dir + '/m.yml', { outDir: dir + '/out', maxShardSize: 1e9 });
  console.log(s, Date.now() - t);
})();
