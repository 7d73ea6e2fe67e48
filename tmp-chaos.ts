import { runBackup } from './harness/run/backup-run.ts';
import { backupWorkload, BACKUP_WORKLOAD_PARAMS } from './harness/scenario/backup-workload.ts';
const p = Object.fromEntries(BACKUP_WORKLOAD_PARAMS.map((x) => [x.name, x.default]));
p.pvcs = 10; p.namespaces = 2;
const e = backupWorkload(p, 1);
const fault = JSON.parse(process.argv[2]);
const r = await runBackup({ seed: 1, flow: 'deploying', nodes: e.nodes, pvcs: e.pvcs, nodeAgentConfig: e.nodeAgentConfig('deploying'), deadlineSeconds: e.deadlineSeconds, faults: [fault] });
console.log(r.endedBy, r.simulatedSeconds, r.wallSeconds, r.figures.completed, r.figures.makespanSeconds, JSON.stringify(r.faults), JSON.stringify(r.steadyState.filter((c) => !c.ok)));
