// The scenarios: one file each in scenarios/, its default export a Scenario. Loaded by name, so
// a flow run in a child process can find its scenario from the name alone.
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Scenario } from './scenario.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCENARIOS_DIR = join(REPO_ROOT, 'scenarios');

/** Every scenario, by name, in file-name order. */
export async function loadScenarios(): Promise<Map<string, Scenario>> {
  const out = new Map<string, Scenario>();
  for (const f of readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort()) {
    const mod = (await import(pathToFileURL(join(SCENARIOS_DIR, f)).href)) as { default?: Scenario };
    if (!mod.default?.name) throw new Error(`scenarios/${f}: its default export must be a scenario (defineScenario)`);
    out.set(mod.default.name, mod.default);
  }
  return out;
}

export async function scenarioByName(name: string): Promise<Scenario | undefined> {
  return (await loadScenarios()).get(name);
}
