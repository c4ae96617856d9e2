// Compiles kernels/*.wat to dist/kernels/*.wasm with wabt (an npm package: no download, no toolchain).
// Without wabt (a production install) the existing .wasm files are kept; without those, aya-fw
// falls back to its typed-array code.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
let wabtFactory;
try {
  wabtFactory = require('wabt');
} catch {
  console.log('build-kernels: wabt is not installed; keeping the compiled kernels as they are');
  process.exit(0);
}
const wabt = await wabtFactory();
const out = join(root, 'dist', 'kernels');
mkdirSync(out, { recursive: true });
for (const file of readdirSync(join(root, 'kernels')).filter((f) => f.endsWith('.wat'))) {
  const module = wabt.parseWat(file, readFileSync(join(root, 'kernels', file), 'utf8'), { simd: true });
  module.validate();
  const { buffer } = module.toBinary({});
  writeFileSync(join(out, file.replace(/\.wat$/, '.wasm')), buffer);
  module.destroy();
}
if (!existsSync(out)) process.exit(1);
