// The same fault schedule on a real cluster: each fault kind maps to the real action that has
// the same effect there (krkn's kind node scenarios, Litmus / Chaos Mesh stress and pod-kill),
// or to none. On kind the node faults are commands (docker, kubectl) and pod-kill an API
// request; on any other cluster (--target kubeconfig) every fault that runs is an API request
// (api-actions.ts). A schedule with a fault that has no action on its target is refused by name
// before the run starts; the embedded cluster's fault seams (a CSI driver told to fail, an API
// server told to slow down) do not exist on a real one.
import { bashCommand, commandSteps, type ClusterAction, type ClusterActions, type RunCommand } from './cluster-executor.ts';
import { apiActions, CHAOS_NAMESPACE, NODE_AGENT_POD_SELECTOR, stressPod, type ApiActionOptions } from './api-actions.ts';
export { NODE_AGENT_POD_SELECTOR };
import { onCluster, type Fault, type FaultKind } from './faults.ts';
export { onCluster } from './faults.ts';

export interface KindAction {
  /** What is done on the cluster, in a line. */
  does: string;
  /** The commands at the fault's start and, where it has a duration, at its end. */
  start(f: Fault, node: string | undefined): string[];
  end?(f: Fault, node: string | undefined): string[];
}

function stressCommands(name: string, node: string, args: string): string[] {
  return [`kubectl create namespace ${CHAOS_NAMESPACE} --dry-run=client -o yaml | kubectl apply -f -`, `kubectl apply -f - <<'EOF'\n${JSON.stringify(stressPod(name, node, args))}\nEOF`];
}

export const KIND_ACTIONS: Record<FaultKind, KindAction | { none: string }> = {
  'node-memory-pressure': {
    does: 'a stress-ng pod on the node allocates 95% of its memory until the kubelet reports MemoryPressure and evicts',
    start: (f, node) => stressCommands(f.name, node!, `--vm 1 --vm-bytes 95% --vm-keep --timeout ${f.durationSeconds ?? 0}s`),
    end: (f) => [`kubectl -n ${CHAOS_NAMESPACE} delete pod ${f.name} --grace-period=0 --force`],
  },
  'node-cpu-pressure': {
    does: 'a stress-ng pod on the node keeps every CPU busy, slowing the data movers there',
    start: (f, node) => stressCommands(f.name, node!, `--cpu 0 --timeout ${f.durationSeconds ?? 0}s`),
    end: (f) => [`kubectl -n ${CHAOS_NAMESPACE} delete pod ${f.name} --grace-period=0 --force`],
  },
  'node-failure': {
    does: "the node's container is stopped (kubelet, pods and node-agent with it) and started again",
    start: (_f, node) => [`docker stop ${node}`],
    end: (_f, node) => [`docker start ${node}`],
  },
  'node-agent-restart': {
    does: "the node's node-agent pod is deleted; its DaemonSet starts a new one at once (durationSeconds does not apply)",
    start: (_f, node) => [`kubectl -n velero delete pod -l ${NODE_AGENT_POD_SELECTOR} --field-selector spec.nodeName=${node} --grace-period=0 --force`],
  },
  'pod-kill': {
    does: 'data-mover pods chosen from the seed are deleted, with the fault\'s grace period',
    start: (f) => [
      `kubectl -n velero get pods -l velero.io/data-upload -o name   # ${f.count ?? 1} of them, chosen from the seed, then:`,
      (f.gracePeriodSeconds ?? 0) === 0 ? 'kubectl -n velero delete <pod> --grace-period=0 --force' : `kubectl -n velero delete <pod> --grace-period=${f.gracePeriodSeconds}`,
    ],
  },
  'api-load': {
    does: "autocannon reads the path from the cluster's API server with the kubeconfig's credentials",
    start: (f) => [`autocannon GET <server>${f.path ?? '/api/v1/namespaces/velero/pods?labelSelector=velero.io%2Fdata-upload'} -c ${f.connections ?? 8}`],
  },
  'snapshot-failure': { none: 'csi-driver-host-path cannot be told to fail snapshots' },
  'backup-pvc-bind-delay': { none: 'csi-driver-host-path binds at its own pace; it cannot be slowed' },
  'api-latency': { none: "a real API server has no latency seam (it would need a proxy in front of it)" },
  'api-errors': { none: 'a real API server has no error seam (it would need a proxy in front of it)' },
  'drop-watches': { none: 'a real API server cannot be told to close watches' },
  'force-gone': { none: "a real API server's compaction cannot be forced from outside" },
};

export class UnmappedFaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultError';
  }
}

/** The fault kinds each real target carries out (targetActions' keys, known before a cluster is reached). */
export const CARRIED_OUT: Record<'kind' | 'kubeconfig', ReadonlySet<FaultKind>> = {
  kind: new Set(['node-failure', 'node-memory-pressure', 'node-cpu-pressure', 'node-agent-restart', 'pod-kill']),
  kubeconfig: new Set(['pod-kill', 'node-agent-restart', 'node-memory-pressure', 'node-cpu-pressure']),
};

/** Why a kind is not carried out on a real target. */
function notCarriedOut(f: Fault, target: 'kind' | 'kubeconfig'): string {
  const a = KIND_ACTIONS[f.kind];
  if ('none' in a) return a.none;
  if (f.kind === 'node-failure') return 'stopping a node needs kind (docker stop); on any other cluster it is not ours to stop';
  return "not carried out on a real cluster yet (autocannon would need the kubeconfig's credentials)";
}

/** Refuses, by name, every fault with no action on `target` (kind or kubeconfig); embedded takes all. */
export function checkFaultsForTarget(faults: Fault[], target: 'embedded' | 'kind' | 'kubeconfig'): void {
  if (target === 'embedded') return;
  const refused = faults.filter((f) => !CARRIED_OUT[target].has(f.kind));
  if (!refused.length) return;
  throw new UnmappedFaultError(
    `--target ${target}: these faults are not carried out there, remove them or use --target embedded:\n` + refused.map((f) => `  faults[${f.index}] ${f.name} (${f.kind}): ${notCarriedOut(f, target)}`).join('\n'),
  );
}

/** A KIND_ACTIONS entry run as commands, each a step. */
function commandAction(a: KindAction, run: RunCommand): ClusterAction {
  return {
    does: a.does,
    start: (f, node, step) => commandSteps(a.start(f, node), step, run),
    ...(a.end ? { end: (f: Fault, node: string | undefined, step: Parameters<ClusterAction['start']>[2]) => commandSteps(a.end!(f, node), step, run) } : {}),
  };
}

/**
 * What each fault kind does on a real target. kind: node faults by command (node-agent-restart
 * on node-agents in this process by the API actions' local restart), pod-kill through the API;
 * kubeconfig: all through the API. The keys are CARRIED_OUT's.
 */
export function targetActions(target: 'kind' | 'kubeconfig', o: ApiActionOptions & { run?: RunCommand }): ClusterActions {
  const api = apiActions(o);
  if (target === 'kubeconfig') return api;
  const run = o.run ?? bashCommand;
  const command = (k: FaultKind) => commandAction(KIND_ACTIONS[k] as KindAction, run);
  return {
    'node-failure': command('node-failure'),
    'node-memory-pressure': command('node-memory-pressure'),
    'node-cpu-pressure': command('node-cpu-pressure'),
    'node-agent-restart': o.localAgents ? api['node-agent-restart'] : command('node-agent-restart'),
    'pod-kill': api['pod-kill'],
  };
}

/**
 * The dry run of a schedule on a real cluster, fault by fault: when it starts, in the scenario's
 * seconds and in the cluster's (durations are divided by the time scale there), on which node,
 * what it does, and the commands at its start and at its end. A node chosen from the seed is
 * named by its choice: which node it is depends on the cluster's nodes at the run's start.
 */
export function faultPlan(faults: Fault[], opts: { target: 'kind' | 'kubeconfig'; timeScale: number }): string[] {
  const both = (s: number) => `${s} s (${+(s / opts.timeScale).toFixed(1)} s on the cluster)`;
  const out: string[] = [`${faults.length} fault(s) on --target ${opts.target}, durations / ${opts.timeScale} (--time-scale):`];
  for (const f of faults) {
    const a = KIND_ACTIONS[f.kind];
    if ('none' in a) continue;
    const chosen = f.node?.startsWith('random');
    const node = f.node === undefined ? undefined : chosen ? '$NODE' : f.node;
    const when = f.at !== undefined ? `at ${both(f.at)}` : `when ${f.when!.fraction * 100}% of the DataUploads have reached ${f.when!.phase}`;
    out.push(`faults[${f.index}] ${f.name} (${f.kind}), ${when}`);
    if (chosen) out.push(`  node: $NODE, chosen from the seed at the run's start among the cluster's nodes${f.node === 'random' ? '' : ` matching ${f.node!.slice('random:'.length)}`}`);
    else if (node) out.push(`  node: ${node}`);
    out.push(`  does: ${a.does}`);
    const how = opts.target === 'kubeconfig' ? 'through the API, as' : '';
    // The commands carry the cluster's durations (a stress pod's --timeout).
    const scaled = onCluster(f, opts.timeScale);
    for (const c of a.start(scaled, node)) out.push(`  start: ${how ? `${how} ` : ''}${c}`);
    if (a.end && f.durationSeconds !== undefined) {
      out.push(`  end, ${both(f.durationSeconds)} later:`.replace(/ \((.*)\) later:$/, ' later ($1):'));
      for (const c of a.end(scaled, node)) out.push(`    ${how ? `${how} ` : ''}${c}`);
    } else if (f.durationSeconds === undefined && a.end) out.push('  end: never (no durationSeconds)');
  }
  return out;
}
