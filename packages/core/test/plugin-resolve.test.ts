import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AyaError, createEngine, loadPlugins, pluginCandidates, requirePlugin, resolvePlugin, toPlugin, UsageError, ContainerModule, Tokens } from '@aya-fw/core';

const CORE = require.resolve('@aya-fw/core');

/** A throwaway project with packages under node_modules, as npm lays them out. */
function project(packages: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'aya-resolve-'));
  for (const [name, source] of Object.entries(packages)) {
    const dir = name.startsWith('./') ? join(root, name) : join(root, 'node_modules', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: name.replace('./', ''), main: 'index.js' }));
    writeFileSync(join(dir, 'index.js'), source.replace('CORE', JSON.stringify(CORE)));
  }
  return root;
}

const lossPlugin = (name: string, id: string) =>
  `const { definePlugin } = require(CORE);
module.exports = definePlugin({ name: '${name}', contributes: { losses: [{ id: '${id}', description: 'x', inputKind: 'pairwise', compute() {} }] } });`;

describe('plugin resolution', () => {
  it('tries the scoped name, the prefixed name, the raw name, then a path', () => {
    expect(pluginCandidates('dpo')).toEqual(['@aya-fw/plugin-dpo', 'aya-fw-plugin-dpo', 'dpo', './dpo']);
    expect(pluginCandidates('./local.js')).toEqual(['./local.js']);
    expect(pluginCandidates('@acme/aya-loss')).toEqual(['@acme/aya-loss', './@acme/aya-loss']);
  });

  it('resolves each form from the user project, scoped name first', () => {
    const root = project({
      '@aya-fw/plugin-dpo': lossPlugin('@aya-fw/plugin-dpo', 'scoped'),
      'aya-fw-plugin-dpo': lossPlugin('aya-fw-plugin-dpo', 'prefixed'),
      'aya-fw-plugin-hinge': lossPlugin('aya-fw-plugin-hinge', 'hinge'),
      'plain-loss': lossPlugin('plain-loss', 'plain'),
      './local': lossPlugin('local', 'local'),
    });
    expect(resolvePlugin('dpo', { cwd: root }).id).toBe('@aya-fw/plugin-dpo');
    expect(resolvePlugin('hinge', { cwd: root }).id).toBe('aya-fw-plugin-hinge');
    expect(resolvePlugin('plain-loss', { cwd: root }).id).toBe('plain-loss');
    expect(resolvePlugin('./local', { cwd: root }).path).toBe(join(root, 'local', 'index.js'));
    expect(resolvePlugin('local', { cwd: root }).path).toBe(join(root, 'local', 'index.js'));

    const engine = createEngine();
    loadPlugins(engine, ['dpo', 'hinge', './local'], { cwd: root });
    expect(engine.registries.losses.ids()).toEqual(['scoped', 'hinge', 'local']);
    expect(engine.plugins.map((p) => p.name)).toEqual(['@aya-fw/plugin-dpo', 'aya-fw-plugin-hinge', 'local']);
  });

  it('says what it tried and suggests the closest installed plugin', () => {
    const root = project({ 'aya-fw-plugin-hinge': lossPlugin('h', 'hinge'), '@aya-fw/plugin-copg': lossPlugin('c', 'copg') });
    let error: unknown;
    try {
      resolvePlugin('hinje', { cwd: root });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      `cannot find plugin 'hinje': tried @aya-fw/plugin-hinje, aya-fw-plugin-hinje, hinje, ./hinje from ${root}; did you mean 'hinge'?`,
    );
    expect(() => resolvePlugin('zzzzzzzz', { cwd: root })).toThrow('; installed plugins: copg, hinge');
  });

  it('reports a plugin that throws while loading as a failure naming it', () => {
    const root = project({ 'aya-fw-plugin-broken': "throw new Error('missing native binding');" });
    const resolved = resolvePlugin('broken', { cwd: root });
    expect(() => requirePlugin(resolved)).toThrow(AyaError);
    expect(() => requirePlugin(resolved)).toThrow(`plugin 'broken' (${resolved.path}) threw while loading: missing native binding`);
    try {
      requirePlugin(resolved);
    } catch (err) {
      expect((err as AyaError).exitCode).toBe(1);
    }
  });

  it('reports a plugin whose apply throws, and one that exports nothing usable', () => {
    const root = project({
      'aya-fw-plugin-bad-apply': "module.exports = { name: 'bad-apply', apply() { throw new TypeError('hooks.nope is undefined'); } };",
      'aya-fw-plugin-empty': 'module.exports = { version: 1 };',
    });
    expect(() => loadPlugins(createEngine(), ['bad-apply'], { cwd: root })).toThrow("plugin 'bad-apply' failed while registering: hooks.nope is undefined");
    expect(() => loadPlugins(createEngine(), ['empty'], { cwd: root })).toThrow(
      'plugin aya-fw-plugin-empty does not export a plugin: expected a default export with apply(engine) or a containerModule',
    );
  });

  it('accepts a ContainerModule, a class with apply, or a factory as the default export', () => {
    const module = new ContainerModule(({ bind }) => void bind(Tokens.Judge).toConstantValue({ id: 'exact-match', description: 'x', compare: async () => 'tie' }));
    expect(toPlugin({ default: module }, 'pkg').name).toBe('pkg');
    class Tapper {
      readonly name = 'tapper';
      apply() {}
    }
    expect(toPlugin(Tapper, 'pkg').name).toBe('tapper');
    expect(toPlugin(() => ({ apply() {} }), 'factory-pkg').name).toBe('factory-pkg');
    const engine = createEngine();
    engine.use(toPlugin({ default: module }, 'pkg'));
    expect(engine.registries.judges.ids()).toEqual(['exact-match']);
  });
});
