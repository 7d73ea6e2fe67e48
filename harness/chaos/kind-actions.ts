// The same fault schedule on a real cluster: each fault kind maps to the real action that has
// the same effect there (krkn's kind node scenarios, Litmus / Chaos Mesh stress and pod-kill),
// or to none. On kind the node faults are commands (docker, kubectl) and pod-kill an API
// request; on any other cluster (--target kubeconfig) every fault that runs is an API request
// (api-actions.ts). A schedule with a fault that has no action on its target is refused by name
// before the run starts; the embedded cluster's fault seams (a CSI driver told to fail, an API
// server told to slow down) do not exist on a real one.
import { bashCommand, commandSteps, type ClusterAction, type ClusterActions, type RunCommand } from './cluster-executor.ts';
import { NODE_AGENT_POD_SELECTOR, type ApiActionOptions } from './api-actions.ts';
import { onCluster, type Fault, type FaultKind } from './faults.ts';
import { FAULT_KIND, FAULT_KIND_DEFS } from './kinds/index.ts';
import type { FaultKindDef, KindCommands } from './kinds/types.ts';
export { NODE_AGENT_POD_SELECTOR, onCluster };

export type KindAction = KindCommands;

/** Each kind's commands on kind, or why it has none (its file's onKind). */
export const KIND_ACTIONS = Object.fromEntries(FAULT_KIND_DEFS.map((d) => [d.kind, d.onKind])) as Record<FaultKind, KindAction | { none: string }>;

export class UnmappedFaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultError';
  }
}

const defs = FAULT_KIND_DEFS as readonly FaultKindDef[];
const byCommand = (d: FaultKindDef) => !('none' in d.onKind) && !d.notOnKind;

/** The fault kinds each real target carries out: kind by its commands or the API, kubeconfig through the API. */
export const CARRIED_OUT: Record<'kind' | 'kubeconfig', ReadonlySet<FaultKind>> = {
  kind: new Set(defs.filter((d) => byCommand(d) || (d.api && d.kindByApi)).map((d) => d.kind as FaultKind)),
  kubeconfig: new Set(defs.filter((d) => d.api).map((d) => d.kind as FaultKind)),
};

/** Why a kind is not carried out on a real target. */
function notCarriedOut(f: Fault, target: 'kind' | 'kubeconfig'): string {
  const d: FaultKindDef = FAULT_KIND[f.kind];
  if ('none' in d.onKind) return d.onKind.none;
  return (target === 'kind' ? d.notOnKind : d.notOnKubeconfig) ?? 'not carried out there';
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
 * What each fault kind does on a real target, from its file: on kind its commands, or the API
 * where the kind says (pod-kill; node-agent-restart on node-agents in this process); on
 * kubeconfig the API. The keys are CARRIED_OUT's.
 */
export function targetActions(target: 'kind' | 'kubeconfig', o: ApiActionOptions & { run?: RunCommand }): ClusterActions {
  const run = o.run ?? bashCommand;
  const out: ClusterActions = {};
  for (const d of defs) {
    const kind = d.kind as FaultKind;
    if (!CARRIED_OUT[target].has(kind)) continue;
    const byApi = target === 'kubeconfig' || (typeof d.kindByApi === 'function' ? d.kindByApi(o) : d.kindByApi);
    out[kind] = byApi ? d.api!(o) : commandAction(d.onKind as KindAction, run);
  }
  return out;
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
