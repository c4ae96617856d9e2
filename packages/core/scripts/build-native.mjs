// Compiles native/*.cc into native/build/aya_native.node with the machine's C++ compiler and
// Node's own headers (no download, no node-gyp). Runs at `npm install` and in `npm run build`;
// it never fails the install: without a compiler aya-fw keeps to its wasm kernels.
// Rebuilds only when a source, the compiler flags, the CPU or Node's ABI changed.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'native');
const out = join(src, 'build');
const target = join(out, 'aya_native.node');
const infoFile = join(out, 'build-info.json');

if (process.env.AYA_FW_NO_NATIVE === '1') {
  console.log('build-native: AYA_FW_NO_NATIVE=1, not building the native kernels');
  process.exit(0);
}

const cxx = process.env.CXX || 'g++';
const headers = [process.env.npm_config_nodedir, resolve(process.execPath, '..', '..')]
  .filter(Boolean)
  .map((d) => join(d, 'include', 'node'))
  .find((d) => existsSync(join(d, 'node_api.h')));
const sources = readdirSync(src).filter((f) => f.endsWith('.cc')).sort();
const flags = ['-O3', '-march=native', '-fno-math-errno', '-std=c++17', '-shared', '-fPIC', '-pthread', '-fvisibility=hidden', '-DNODE_GYP_MODULE_NAME=aya_native', '-DNAPI_VERSION=8'];
// Node's symbols are resolved when the addon loads; macOS's linker must be told so.
if (process.platform === 'darwin') flags.push('-undefined', 'dynamic_lookup');

const hash = createHash('sha256');
for (const f of readdirSync(src).filter((f) => /\.(cc|h)$/.test(f)).sort()) hash.update(f).update(readFileSync(join(src, f)));
hash.update(flags.join(' '));
// The build is tied to this CPU (-march=native) and Node ABI; the loader checks both.
const info = { sources: hash.digest('hex'), cpu: cpus()[0]?.model ?? 'unknown', modules: process.versions.modules, platform: `${process.platform}-${process.arch}` };

const built = existsSync(target) && existsSync(infoFile) ? JSON.parse(readFileSync(infoFile, 'utf8')) : null;
if (built && JSON.stringify(built) === JSON.stringify(info)) process.exit(0);

if (!headers) {
  console.log("build-native: Node's headers (include/node/node_api.h) were not found; aya-fw will use its wasm kernels");
  process.exit(0);
}
mkdirSync(out, { recursive: true });
const tmp = join(out, `aya_native.${process.pid}.tmp.node`);
try {
  execFileSync(cxx, [...flags, `-I${headers}`, ...sources.map((f) => join(src, f)), '-o', tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
  renameSync(tmp, target);
  writeFileSync(infoFile, JSON.stringify(info, null, 2) + '\n');
  console.log(`build-native: built ${target}`);
} catch (err) {
  rmSync(tmp, { force: true });
  const why = (err.stderr?.toString() || err.message || String(err)).split('\n').find((l) => l.trim()) ?? 'unknown error';
  console.log(`build-native: could not compile the native kernels with ${cxx} (${why.trim()}); aya-fw will use its wasm kernels`);
}
