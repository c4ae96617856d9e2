import { ContainerModule, createEngine, definePlugin, Registry, Tokens, UsageError } from '@aya-fw/core';

const loss = (id: string) => ({ id, description: `${id} loss`, inputKind: 'pairwise', compute: () => { throw new Error('not called'); } });

describe('registries', () => {
  it('are empty, not failing, when nothing is contributed', () => {
    const engine = createEngine();
    for (const registry of Object.values(engine.registries)) {
      expect(registry.size).toBe(0);
      expect(registry.list()).toEqual([]);
    }
  });

  it('collect contributions from definePlugin and from plain ContainerModules', () => {
    const engine = createEngine();
    engine.use(definePlugin({ name: 'a', contributes: { losses: [loss('dpo')] } }));
    engine.use({ name: 'b', containerModule: new ContainerModule(({ bind }) => void bind(Tokens.Loss).toConstantValue(loss('ipo'))) });
    expect(engine.registries.losses.ids().sort()).toEqual(['dpo', 'ipo']);
    expect(engine.registries.losses.get('dpo').plugin).toBe('a');
  });

  it('reject ids that are not kebab-case, at definition time', () => {
    expect(() => definePlugin({ name: 'p', contributes: { losses: [loss('Sigmoid_Norm')] } })).toThrow(
      'loss id "Sigmoid_Norm" (from plugin p) must be lowercase kebab-case',
    );
    expect(() => new Registry('merge method', [{ id: 'dare ties', description: 'x' }])).toThrow(
      'merge method id "dare ties" must be lowercase kebab-case',
    );
  });

  it('reject a duplicate id, naming both plugins', () => {
    const engine = createEngine();
    engine.use(definePlugin({ name: 'first', contributes: { losses: [loss('dpo')] } }));
    engine.use(definePlugin({ name: 'second', contributes: { losses: [loss('dpo')] } }));
    expect(() => engine.registries).toThrow("loss 'dpo' is registered twice (by first and second)");
  });

  it('answer an unknown id with a usage error that suggests and lists', () => {
    const registry = new Registry('trainer', [{ id: 'sft', description: 'x' }, { id: 'reward', description: 'y' }]);
    expect(() => registry.get('rewrd')).toThrow(UsageError);
    expect(() => registry.get('rewrd')).toThrow("unknown trainer 'rewrd' (did you mean 'reward'?); known: sft, reward");
    expect(() => new Registry('judge', []).get('gpt4')).toThrow("unknown judge 'gpt4'; none is registered; load a plugin that provides one with --plugins");
  });

  it('reject unknown contribution points', () => {
    expect(() => definePlugin({ name: 'p', contributes: { lossses: [] } as never })).toThrow("plugin p: unknown contribution point 'lossses'");
  });
});

describe('engine.use', () => {
  it('refuses something that is not a plugin', () => {
    expect(() => createEngine().use({ default: {}, hingeLoss: () => 0 } as never)).toThrow(
      'not a plugin: an object with keys default, hingeLoss; expected { name, containerModule?, apply? } (see definePlugin)',
    );
  });
});
