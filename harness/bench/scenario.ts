// The scenarios' speed on this machine: `large-pvc` with its three flows (target: under 60 s of
// wall time in all) and 1,000 PVCs of one flow (target: under 3 minutes). Runs in-process, as
// `npm run scenario` does.
import largePvc from '../../scenarios/large-pvc.ts';
import { runBackup } from '../run/backup-run.ts';
import type { Figure } from './apiserver.ts';

async function runFlows(values: Record<string, number | string | boolean>, flows = largePvc.flows): Promise<{ wall: number; simulated: number; rss: number }> {
  const e = largePvc.build(values, 1);
  const t0 = performance.now();
  let simulated = 0;
  let rss = 0;
  for (const flow of flows) {
    const r = await runBackup({ seed: 1, flow, nodes: e.nodes, pvcs: e.pvcs, nodeAgentConfig: e.nodeAgentConfig(flow), deadlineSeconds: e.deadlineSeconds });
    simulated += r.simulatedSeconds;
    rss = Math.max(rss, process.memoryUsage().rss);
    console.log(`  ${flow}: ${e.pvcs.length} PVCs, ${r.figures.completed}/${r.figures.dataUploads} completed, ${Math.round(r.simulatedSeconds)} s simulated in ${r.wallSeconds.toFixed(1)} s wall`);
  }
  return { wall: (performance.now() - t0) / 1000, simulated, rss };
}

export async function benchScenario(): Promise<Figure[]> {
  const defaults = Object.fromEntries(largePvc.params.map((p) => [p.name, p.default]));
  const large = await runFlows(defaults);
  const thousand = await runFlows({ ...defaults, pvcs: 1000, 'deadline-hours': 24 }, ['deploying']);
  return [
    { name: 'large-pvc, three flows: wall time', value: large.wall, unit: 's', target: { value: 60, better: 'lower' } },
    { name: 'large-pvc: simulated seconds per wall second', value: large.simulated / large.wall, unit: 'x' },
    { name: '1,000 PVCs, deploying: wall time', value: thousand.wall, unit: 's', target: { value: 180, better: 'lower' } },
    { name: 'peak RSS', value: Math.max(large.rss, thousand.rss) / 1024 ** 2, unit: 'MiB' },
  ];
}
