// The harness at scale, timed as a user runs it (`npm run scenario`, a new process, default
// --jobs): 1,000 PVCs through the four flows (target: under 2 minutes of wall time in all), and
// 5,000 PVCs through deploying (target: under 10 minutes and 2 GiB of resident memory). Both
// are large-pvc's cluster (6 nodes, 3 of them for data movers, 2 slots each) with the run's
// deadline at 24 simulated hours, so every DataUpload reaches its end: most of them time out,
// as they would on a cluster that small. What is simulated is the same as in any run; only the
// workload is bigger.
import type { Figure } from './apiserver.ts';
import { runScenario } from './scenario.ts';

const THOUSAND = ['large-pvc', '--pvcs', '1000', '--deadline-hours', '24'];
const FIVE_THOUSAND = ['large-pvc', '--flows', 'deploying', '--pvcs', '5000', '--deadline-hours', '24'];

export async function benchScale(): Promise<Figure[]> {
  console.log(`npm run scenario ${THOUSAND[0]} -- ${THOUSAND.slice(1).join(' ')}`);
  const thousand = runScenario(THOUSAND);
  console.log(`npm run scenario ${FIVE_THOUSAND[0]} -- ${FIVE_THOUSAND.slice(1).join(' ')}`);
  const five = runScenario(FIVE_THOUSAND);
  const [deploying] = five.results.flows;
  const dataUploads = (r: typeof five) => r.results.flows.reduce((a, f) => a + f.figures.dataUploads, 0);
  return [
    { name: '1,000 PVCs, four flows: wall time of the command', value: thousand.wall, unit: 's', target: { value: 120, better: 'lower' } },
    { name: '1,000 PVCs, four flows: DataUploads per wall minute', value: (dataUploads(thousand) / thousand.wall) * 60, unit: '/min' },
    { name: '1,000 PVCs: peak RSS of one flow run', value: Math.max(...thousand.results.flows.map((f) => f.peakRssMiB)), unit: 'MiB' },
    { name: '1,000 PVCs: CPU time of the four flow runs', value: thousand.results.flows.reduce((a, f) => a + (f.cpuSeconds ?? 0), 0), unit: 's' },
    { name: '5,000 PVCs, deploying: wall time of the command', value: five.wall, unit: 's', target: { value: 600, better: 'lower' } },
    { name: '5,000 PVCs, deploying: peak RSS', value: deploying.peakRssMiB, unit: 'MiB', target: { value: 2048, better: 'lower' } },
    { name: '5,000 PVCs, deploying: CPU time of the run', value: deploying.cpuSeconds ?? 0, unit: 's' },
    { name: '5,000 PVCs, deploying: simulated seconds per wall second', value: deploying.simulatedSeconds / five.wall, unit: 'x' },
  ];
}
