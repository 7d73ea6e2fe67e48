// npm run bench -- sim: the simulated cluster's speed on a virtual clock, in-process.
import type { Figure } from './apiserver.ts';
import { runPodWorkload } from '../sim/pod-workload.ts';

export async function benchSim(log: (line: string) => void = console.log): Promise<Figure[]> {
  log('1,000 pods (500m CPU, 1 GiB, 30-600 s each) through their lifecycle on 10 nodes ...');
  const t0 = performance.now();
  const r = await runPodWorkload({
    seed: 1,
    pods: 1000,
    runSeconds: [30, 600],
    nodes: [{ count: 10, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' } }],
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.outcome !== 'done') throw new Error(`the workload did not finish: ${r.outcome}`);
  log(`simulated ${r.simulatedSeconds.toFixed(0)} s in ${wall.toFixed(2)} s wall, ${r.writes} API writes, ${r.timersFired} timers`);
  return [
    { name: '1,000 pods creation -> completion, wall', value: wall, unit: 's', target: { value: 10, better: 'lower' } },
    { name: 'simulated seconds per wall second', value: r.simulatedSeconds / wall, unit: 'x' },
    { name: 'API writes (events) per wall second', value: r.writes / wall, unit: 'ev/s' },
  ];
}
