import { speedUpModuleLoading } from './platform/component/module-loading.ts';
import type { ComponentName } from './system.ts';

// Entry point: `node src/main.ts` (npm start) runs every component in one process;
// `node src/main.ts <component>` (or COMPONENT=<component>) runs one, as each container does.
// The app is imported once module loading is sped up, so that applies to all of it.
speedUpModuleLoading();
const { runMain } = await import('./platform/component/run-main.ts');
const { COMPONENTS, checkSystemConfig, startSystem } = await import('./system.ts');

const chosen = process.argv[2] ?? process.env.COMPONENT ?? 'all';
if (chosen !== 'all' && !(COMPONENTS as readonly string[]).includes(chosen)) {
  process.stderr.write(`Unknown component "${chosen}"; one of: all, ${COMPONENTS.join(', ')}.\n`);
  process.exit(2);
}
const only = chosen === 'all' ? undefined : (chosen as ComponentName);

await runMain({
  name: 'commerce',
  ...(only && { component: only }),
  loadConfig: () => checkSystemConfig(process.env, only),
  async start(_config, logger) {
    const system = await startSystem(process.env, logger, only);
    const urls = Object.fromEntries(system.components.map((c) => [c.name, c.url]));
    return {
      stop: system.stop,
      ready: {
        // Where clients go: the facade, in front of everything (or the one component started).
        url: urls.facade ?? Object.values(urls)[0],
        components: urls,
        eventDelivery: process.env.REDIS_URL ? 'bullmq' : 'in-process',
      },
      banner: system.banner,
    };
  },
});
