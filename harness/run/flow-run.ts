// One job of a scenario run: one flow on one seed's workload, on a fresh embedded cluster,
// reduced to the results file's per-flow entry. A job names its scenario rather than carrying
// it, so it can run in a child process (harness/run/pool.ts) as well as here.
import type { FlowName } from '../../controller/flows/types.ts';
import { faultEnds } from '../chaos/steady-state.ts';
import { ratiosToLowerBound } from '../figures/lower-bound.ts';
import type { Interval } from '../figures/intervals.ts';
import type { FlowResult } from '../scenario/results.ts';
import { scenarioByName } from '../scenario/registry.ts';
import type { ParamValues, Scenario } from '../scenario/scenario.ts';
import { loadScenarioFile } from '../scenario/file/load.ts';
import { KubeConfig } from '@kubernetes/client-node';
import { experimentSpec, runFlow, type RunProgress, type RunResult, type Target } from './run.ts';
import { kindTarget, kubeconfigTarget, type ClusterScale } from './targets/cluster.ts';
import { embeddedTarget } from './targets/embedded.ts';
import { tuneHeapForRuns } from './heap.ts';

export interface FlowJob {
  scenario: string;
  /** A scenario file's absolute path: the job's scenario is read from it, not found by name. */
  file?: string;
  params: ParamValues;
  seed: number;
  flow: FlowName;
  /** The scenario variant whose params are in `params`, if the scenario has variants. */
  variant?: string;
  /** A real cluster to run on instead of a fresh embedded one (harness/run/targets/cluster.ts). */
  cluster?: ClusterTarget;
}

/** Where and how a job runs on a real cluster; plain data, so a job can cross to a child process. */
export interface ClusterTarget {
  /** Which kind of cluster: what faults it carries out, and how (harness/chaos/kind-actions.ts CARRIED_OUT). */
  target: 'kind' | 'kubeconfig';
  /** The kubeconfig file; absent: KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  /** The context; absent: the kubeconfig's current one. */
  context?: string;
  scale: ClusterScale;
  nodeAgents: 'in-cluster' | 'local';
  image: string;
  storageClass?: string;
}

/** The kubeconfig a cluster target names. */
export function clusterKubeConfig(t: ClusterTarget): KubeConfig {
  const kc = new KubeConfig();
  if (t.kubeconfig) kc.loadFromFile(t.kubeconfig);
  else kc.loadFromDefault();
  if (t.context) {
    if (!kc.getContexts().some((c) => c.name === t.context)) {
      throw new Error(`context "${t.context}" is not in the kubeconfig (${kc.getContexts().map((c) => c.name).join(', ') || 'no contexts'}); for kind, npm run kind:up creates kind-datamover-bench`);
    }
    kc.setCurrentContext(t.context);
  }
  return kc;
}

export type { RunProgress };

/** How a job names its scenario: by name, or a scenario file by its path. */
export function scenarioRef(s: Scenario): Pick<FlowJob, 'scenario' | 'file'> {
  return { scenario: s.name, ...(s.file ? { file: s.file } : {}) };
}

/** The target a job's cluster names. */
function clusterTarget(t: ClusterTarget): Target {
  const o = { kubeconfig: clusterKubeConfig(t), scale: t.scale, nodeAgents: t.nodeAgents, image: t.image, storageClass: t.storageClass };
  return t.target === 'kind' ? kindTarget(o) : kubeconfigTarget(o);
}

export async function runFlowJob(job: FlowJob, onProgress?: (p: RunProgress) => void): Promise<FlowResult> {
  tuneHeapForRuns();
  const scenario = job.file ? await loadScenarioFile(job.file) : await scenarioByName(job.scenario);
  if (!scenario) throw new Error(`unknown scenario "${job.scenario}"`);
  const experiment = scenario.build(job.params, job.seed);
  // One run at a time per process (the pool's rule), so the process's CPU is the run's (in the
  // command's own process, plus the little it spends relaying its children's progress).
  const cpuStart = process.cpuUsage();
  const target = job.cluster ? clusterTarget(job.cluster) : embeddedTarget();
  const r: RunResult = await runFlow(
    {
      ...experimentSpec(experiment, job.flow, job.seed),
      // A distinct name per run on a real cluster: its DataUploads are told apart by it.
      ...(job.cluster ? { backupName: `${job.scenario}-${job.flow.replace(/\./g, '-')}-${Date.now().toString(36)}`.slice(0, 63) } : {}),
      onProgress,
    },
    target,
  );
  const cpu = process.cpuUsage(cpuStart);
  const f = r.figures;
  return {
    flow: job.flow,
    ...(job.variant !== undefined ? { variant: job.variant } : {}),
    wallSeconds: Math.round(r.wallSeconds * 10) / 10,
    simulatedSeconds: Math.round(r.simulatedSeconds),
    peakRssMiB: Math.round(r.peakRssBytes / 1024 ** 2),
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10,
    endedBy: r.endedBy,
    figures: {
      ...f,
      ratioToLowerBound: ratiosToLowerBound(f, f.lowerBound),
      faultEnds: faultEnds(r.record, r.faults, r.failuresByFault),
    },
    faults: r.faults,
    steadyState: r.steadyState,
    pods: r.record.pods.map((p, i) => ({ ...p, moving: rounded(r.activity[i].moving), stranded: rounded(r.activity[i].stranded) })),
    dataUploads: r.record.dataUploads.map(({ createdAt: _createdAt, outcome, reason, ...d }) => ({
      ...d,
      outcome: outcome ?? null,
      reason: reason ?? null,
      fault: r.failuresByFault[d.name] ?? null,
    })),
    backupPvcs: r.record.backupPvcs,
    ...(r.outcome?.itemErrors.length ? { itemErrors: r.outcome.itemErrors.map(firstLine) } : {}),
  };
}

/** An item error's first line, the API's status message where the client wrapped one. */
function firstLine(e: string): string {
  // The client's error holds the Status as escaped JSON: its message comes before its reason.
  const message = /"message":"(.*?)","reason"/.exec(e.replace(/\\/g, ''))?.[1];
  return message ? `${e.split(':')[0]}: ${message}` : e.split('\n')[0];
}

function rounded(list: Interval[]): Interval[] {
  return list.map(([a, b]) => [Math.round(a * 1000) / 1000, Math.round(b * 1000) / 1000]);
}
