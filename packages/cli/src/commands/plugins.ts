import { CONTRIBUTION_POINTS, type ContributionKinds } from '@aya-fw/core';
import { openSession, type GlobalOptions, type Session } from '../session';

/** `aya-fw plugins`: each loaded plugin and what it contributes. */
export async function pluginsCommand(opts: GlobalOptions): Promise<Session> {
  const session = await openSession(opts);
  const { engine, reporter } = session;
  const registries = engine.registries;
  const byPlugin: Record<string, Record<string, { id: string; description: string }[]>> = {};
  for (const plugin of engine.plugins) byPlugin[plugin.name] = {};
  for (const key of Object.keys(CONTRIBUTION_POINTS) as (keyof ContributionKinds)[]) {
    for (const item of registries[key].list()) {
      const owner = (byPlugin[item.plugin ?? '(unnamed)'] ??= {});
      (owner[key] ??= []).push({ id: item.id, description: item.description });
    }
  }
  for (const [name, contributions] of Object.entries(byPlugin)) {
    reporter.info(name);
    const keys = Object.keys(contributions);
    if (!keys.length) reporter.info('  (hooks only)');
    for (const key of keys) {
      reporter.info(`  ${CONTRIBUTION_POINTS[key as keyof ContributionKinds].plural}:`);
      for (const c of contributions[key]) reporter.info(`    ${c.id.padEnd(16)} ${c.description}`);
    }
  }
  reporter.result('plugins', byPlugin);
  return session;
}
