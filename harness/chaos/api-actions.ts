// The fault actions an API can carry out, on any cluster (--target kubeconfig; pod-kill on kind
// too), through @kubernetes/client-node with the run's kubeconfig: the same effects as the
// embedded injector's where the API reaches, as Chaos Mesh's PodChaos and Litmus's node hogs do
// them. Each kind's file (harness/chaos/kinds/) picks its action here:
//   pod-kill             data-mover pods chosen from the seed, as the embedded injector chooses
//                        them (sorted by name, the fault's own stream), deleted with its grace
//   node-agent-restart   the node's node-agent pod deleted (its DaemonSet starts another); with
//                        node-agents in this process (--node-agents local) there is no pod: the
//                        node's agent is killed and started again after durationSeconds (default
//                        30), as the embedded injector does
//   node-memory-pressure a stress-ng pod pinned to the node (95% of its memory, or every CPU),
//   node-cpu-pressure    deleted at the end
// node-failure is not here: stopping a node is not an API's to do (kind stops its container).
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { DATA_UPLOAD_GROUP, DATA_UPLOAD_LABEL, DATA_UPLOAD_PLURAL, DATA_UPLOAD_VERSION } from '../../controller/api/dataupload.ts';
import { errorMessage, statusOf } from '../../controller/kube/io.ts';
import type { Random } from '../random.ts';
import type { ClusterAction, Step, StepOutcome } from './cluster-executor.ts';
import type { Fault } from './faults.ts';

const STRESS_IMAGE = 'ghcr.io/colinianking/stress-ng:latest';
/** The node-agent pods of kind/manifests/node-agent.yaml (the real-cluster target restarts them by it too). */
export const NODE_AGENT_POD_SELECTOR = 'app.kubernetes.io/name=node-agent';
/** Where stress pods run. */
export const CHAOS_NAMESPACE = 'datamover-bench-chaos';

/** One stress-ng pod pinned to the node (nodeName bypasses the scheduler, as Litmus's node hogs do). */
export function stressPod(name: string, node: string, args: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: CHAOS_NAMESPACE, labels: { 'datamover-bench.io/chaos': name } },
    spec: { nodeName: node, restartPolicy: 'Never', containers: [{ name: 'stress', image: STRESS_IMAGE, args: args.split(' ') }] },
  };
}

/** Node-agents running in this process: what node-agent-restart acts on when there is no pod. */
export interface LocalAgents {
  has(node: string): boolean;
  kill(node: string): Promise<void>;
  start(node: string): Promise<void>;
}

export interface ApiActionOptions {
  kubeconfig: KubeConfig;
  /** Velero's namespace: the data-mover and node-agent pods. */
  namespace: string;
  random: Random;
  localAgents?: LocalAgents;
}

/** An API call as a step: its request line, its HTTP status or the error's. */
export async function request(step: Step, line: string, call: () => Promise<unknown>): Promise<boolean> {
  return step(line, async (): Promise<StepOutcome> => {
    try {
      await call();
      return { code: 200 };
    } catch (e) {
      return { code: statusOf(e) ?? null, stderr: errorMessage(e) };
    }
  });
}

const podsPath = (ns: string) => `/api/v1/namespaces/${ns}/pods`;
const coreOf = (o: ApiActionOptions) => o.kubeconfig.makeApiClient(CoreV1Api);

/** pod-kill: the data-mover pods chosen from the seed, deleted with the fault's grace. */
export function apiPodKill(o: ApiActionOptions): ClusterAction {
  const ns = o.namespace;
  return {
    does: "data-mover pods chosen from the seed are deleted, with the fault's grace period",
    async start(f, _node, step) {
      const core = coreOf(o);
      let pods: V1Pod[] = [];
      let phases = new Map<string, string>();
      await request(step, `GET ${podsPath(ns)}?labelSelector=${encodeURIComponent(DATA_UPLOAD_LABEL)}`, async () => {
        pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: DATA_UPLOAD_LABEL })).items;
      });
      if (f.dataUploadPhase !== undefined) {
        const custom = o.kubeconfig.makeApiClient(CustomObjectsApi);
        await request(step, `GET /apis/${DATA_UPLOAD_GROUP}/${DATA_UPLOAD_VERSION}/namespaces/${ns}/${DATA_UPLOAD_PLURAL}`, async () => {
          const list = (await custom.listNamespacedCustomObject({ group: DATA_UPLOAD_GROUP, version: DATA_UPLOAD_VERSION, namespace: ns, plural: DATA_UPLOAD_PLURAL })) as {
            items: { metadata: { name: string }; status?: { phase?: string } }[];
          };
          phases = new Map(list.items.map((d) => [d.metadata.name, d.status?.phase || 'New']));
        });
      }
      const live = pods
        .filter((p) => !p.metadata?.deletionTimestamp)
        .map((p) => ({ name: p.metadata!.name!, du: p.metadata!.labels![DATA_UPLOAD_LABEL] }))
        .filter((p) => f.dataUploadPhase === undefined || phases.get(p.du) === f.dataUploadPhase)
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      const chosen = choosePods(f, live, o.random);
      const grace = f.gracePeriodSeconds ?? 0;
      const killed: typeof chosen = [];
      for (const p of chosen) {
        if (await request(step, `DELETE ${podsPath(ns)}/${p.name}?gracePeriodSeconds=${grace}`, () => core.deleteNamespacedPod({ name: p.name, namespace: ns, gracePeriodSeconds: grace }))) killed.push(p);
      }
      const which = f.dataUploadPhase ? ` of DataUploads ${f.dataUploadPhase}` : '';
      return {
        detail: killed.length ? `deleted ${killed.map((p) => p.name).join(', ')}${which} (grace ${grace} s)` : `no data-mover pod${which} to delete`,
        dataUploads: killed.map((p) => p.du),
      };
    },
  };
}

/** node-agent-restart with in-cluster node-agents: the node's pod deleted (its DaemonSet starts another). */
export function apiAgentPodDelete(o: ApiActionOptions): ClusterAction {
  const ns = o.namespace;
  return {
    does: "the node's node-agent pod is deleted; its DaemonSet starts a new one at once (durationSeconds does not apply)",
    async start(_f, node, step) {
      const core = coreOf(o);
      let names: string[] = [];
      const field = `spec.nodeName=${node}`;
      await request(step, `GET ${podsPath(ns)}?labelSelector=${encodeURIComponent(NODE_AGENT_POD_SELECTOR)}&fieldSelector=${encodeURIComponent(field)}`, async () => {
        names = (await core.listNamespacedPod({ namespace: ns, labelSelector: NODE_AGENT_POD_SELECTOR, fieldSelector: field })).items.map((p) => p.metadata!.name!);
      });
      for (const name of names) await request(step, `DELETE ${podsPath(ns)}/${name}?gracePeriodSeconds=0`, () => core.deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 0 }));
      return { detail: names.length ? `node-agent pod ${names.join(', ')} on ${node} deleted` : `no node-agent pod on ${node}` };
    },
  };
}

/** node-agent-restart with node-agents in this process: killed, started again after durationSeconds (default 30). */
export function apiLocalAgentRestart(local: LocalAgents): ClusterAction {
  return {
    does: "the node's node-agent (in this process) is killed, and started again after durationSeconds (default 30)",
    defaultDurationSeconds: 30,
    async start(_f, node, step) {
      if (!local.has(node!)) return { detail: `no node-agent runs on ${node}` };
      await step(`kill the node-agent of ${node} (in this process)`, async () => (await local.kill(node!), { code: 0 }));
      return { detail: `node-agent on ${node} killed` };
    },
    async end(_f, node, step) {
      if (!local.has(node!)) await step(`start the node-agent of ${node} (in this process)`, async () => (await local.start(node!), { code: 0 }));
    },
  };
}

/** Node pressure: a stress-ng pod pinned to the node, created through the API, deleted at the end. */
export function apiStressAction(does: string, args: (f: Fault) => string): (o: ApiActionOptions) => ClusterAction {
  return (o) => ({
    does,
    async start(f, node, step) {
      const core = coreOf(o);
      const nsPath = '/api/v1/namespaces';
      await request(step, `POST ${nsPath} ${CHAOS_NAMESPACE}`, () =>
        core.createNamespace({ body: { metadata: { name: CHAOS_NAMESPACE } } }).catch((e) => {
          if (statusOf(e) !== 409) throw e;
        }),
      );
      const pod = stressPod(f.name, node!, args(f));
      await request(step, `POST ${nsPath}/${CHAOS_NAMESPACE}/pods ${f.name} on ${node}`, () => core.createNamespacedPod({ namespace: CHAOS_NAMESPACE, body: pod }));
      return { detail: `stress pod ${CHAOS_NAMESPACE}/${f.name} on ${node}: stress-ng ${args(f)}` };
    },
    async end(f, _node, step) {
      await request(step, `DELETE /api/v1/namespaces/${CHAOS_NAMESPACE}/pods/${f.name}?gracePeriodSeconds=0`, () =>
        coreOf(o).deleteNamespacedPod({ name: f.name, namespace: CHAOS_NAMESPACE, gracePeriodSeconds: 0 }).catch((e) => {
          if (statusOf(e) !== 404) throw e;
        }),
      );
    },
  });
}

/** The stress pod by kubectl (kind's commands, and the dry run's plan). */
export function stressCommands(name: string, node: string, args: string): string[] {
  return [`kubectl create namespace ${CHAOS_NAMESPACE} --dry-run=client -o yaml | kubectl apply -f -`, `kubectl apply -f - <<'EOF'\n${JSON.stringify(stressPod(name, node, args))}\nEOF`];
}

export function stressDelete(name: string): string {
  return `kubectl -n ${CHAOS_NAMESPACE} delete pod ${name} --grace-period=0 --force`;
}

/** `count` pods from the fault's own stream, as the embedded injector draws them. */
export function choosePods<T>(f: Fault, live: T[], random: Random): T[] {
  const left = [...live];
  const rng = random.fork(`fault/${f.name}`);
  const out: T[] = [];
  for (let i = 0; i < (f.count ?? 1) && left.length; i++) out.push(left.splice(rng.int(0, left.length - 1), 1)[0]);
  return out;
}
