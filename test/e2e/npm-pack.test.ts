import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli';
import { arithmetic, tinyModel, writeJsonl } from './helpers/tiny-model';

/**
 * The packages as npm users get them: every workspace package packed with `npm pack`, installed
 * from the tarballs into a fresh project together with a third-party plugin that declares
 * `@aya-fw/core` as a peer dependency and is installed from its folder (`npm install ../plugin`,
 * which links it), then `aya-fw` run there with `--plugins`.
 */
describe('npm-installed packages', () => {
  const work = mkdtempSync(join(tmpdir(), 'aya-npm-'));
  const project = join(work, 'project');
  const bin = join(project, 'node_modules', '.bin', 'aya-fw');
  const run = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(bin, args, { cwd: project, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', ...env }, timeout: 170_000 });

  beforeAll(() => {
    const packs = join(work, 'packs');
    mkdirSync(packs);
    const packed = spawnSync('npm', ['pack', '--workspaces', '--pack-destination', packs, '--json'], { cwd: ROOT, encoding: 'utf8' });
    if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
    const dependencies: Record<string, string> = {};
    for (const entry of JSON.parse(packed.stdout) as { name: string; filename: string }[]) dependencies[entry.name] = `file:${join(packs, entry.filename)}`;
    cpSync(join(ROOT, 'test', 'fixtures', 'plugins', 'aya-fw-plugin-observer'), join(work, 'observer'), { recursive: true });
    dependencies['aya-fw-plugin-observer'] = 'file:../observer';
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, dependencies }, null, 2));
    const installed = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: project, encoding: 'utf8', timeout: 480_000 });
    if (installed.status !== 0) throw new Error(`npm install failed: ${installed.stderr}`);
  }, 600_000);

  it('every package ships its README, compiled code with types, and plugins take core as a peer', () => {
    const scope = join(project, 'node_modules', '@aya-fw');
    const names = readdirSync(scope);
    expect(names).toEqual(expect.arrayContaining(['core', 'cli', 'serve', 'plugin-sft', 'plugin-peft', 'plugin-dpo', 'plugin-merge', 'plugin-eval']));
    for (const name of names) {
      const pkg = JSON.parse(readFileSync(join(scope, name, 'package.json'), 'utf8'));
      expect([name, existsSync(join(scope, name, 'README.md'))]).toEqual([name, true]);
      expect([name, existsSync(join(scope, name, pkg.types))]).toEqual([name, true]);
      expect([name, typeof pkg.exports['.'].types]).toEqual([name, 'string']);
      if (name.startsWith('plugin-') || name === 'serve') expect([name, pkg.peerDependencies['@aya-fw/core']]).toEqual([name, '^0.1.0']);
    }
    expect(existsSync(join(scope, 'core', 'dist', 'kernels', 'matmul.wasm'))).toBe(true);
  });

  it('runs aya-fw with a linked third-party plugin: its hooks fire and its adapter trains', async () => {
    const listed = run(['plugins', '--plugins', 'observer', '--json']);
    expect(listed.stderr).toBe('');
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout).plugins['aya-fw-plugin-observer'].adapters).toEqual([expect.objectContaining({ id: 'scale-out' })]);

    await tinyModel(project);
    writeJsonl(join(project, 'train.jsonl'), arithmetic(24));
    const log = join(project, 'observed.jsonl');
    const trained = run(['--plugins', 'observer', 'train', 'sft', '--model', 'model', '--data', 'train.jsonl', '--adapter', 'scale-out', '--out', 'out', '--json'], {
      AYA_FW_OBSERVER_LOG: log,
    });
    expect(trained.stderr).toBe('');
    expect(trained.status).toBe(0);
    const seen = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(seen).toContainEqual({ event: 'processLoss', stage: 'sft', loss: 'cross-entropy' });
    expect(existsSync(join(project, 'out', 'adapters', 'default', 'adapter_model.safetensors'))).toBe(true);
  });
});
