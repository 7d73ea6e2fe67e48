// What `npm run capture` reads from a live cluster, with list and get only: nodes, PVCs and
// their PVs, StorageClasses, VolumeSnapshotClasses, and in Velero's namespace the node-agent
// ConfigMap, the Schedules and the container args of the velero Deployment and the node-agent
// DaemonSet. Nothing here writes; every request names itself with CAPTURE_USER_AGENT, so a
// server can count what capture sent. A failed read becomes a CaptureError that names what was
// read and, when the cluster forbade it, the RBAC capture needs (docs/capture.md).
import {
  AppsV1Api,
  CoreV1Api,
  createConfiguration,
  CustomObjectsApi,
  ServerConfiguration,
  StorageV1Api,
  type KubeConfig,
  type V1ConfigMap,
  type V1Container,
  type V1Node,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim,
  type V1StorageClass,
} from '@kubernetes/client-node';
import type { VolumeSnapshotClass } from '../../controller/api/snapshot.ts';
import { nodeHttpLibrary } from '../../controller/kube/http-library.ts';
import { errorMessage, statusOf } from '../../controller/kube/io.ts';

export const CAPTURE_USER_AGENT = 'datamover-bench-capture (@kubernetes/client-node)';
/** A request that has not answered by then is a cluster that cannot be reached. */
const REQUEST_TIMEOUT_MS = 30_000;
const PAGE = 500;
/** What Velero's docs name the ConfigMap; Velero itself reads the one the node-agent's --node-agent-configmap names. */
export const DEFAULT_CONFIGMAP = 'node-agent-config';

/** A Velero Schedule (velero.io/v1), the fields capture reads; harness/crds/velero.io_schedules.yaml. */
export interface VeleroSchedule {
  metadata: { name?: string; namespace?: string };
  spec?: {
    schedule?: string;
    paused?: boolean;
    template?: {
      includedNamespaces?: string[] | null;
      excludedNamespaces?: string[] | null;
      snapshotMoveData?: boolean | null;
      itemOperationTimeout?: string;
      labelSelector?: unknown;
      orLabelSelectors?: unknown[];
    };
  };
}

export interface ReadOptions {
  /** Only these namespaces' PVCs; absent: every namespace. */
  namespaces?: string[];
  veleroNamespace: string;
  /** The node-agent ConfigMap's name; absent: the node-agent DaemonSet's --node-agent-configmap, else node-agent-config. */
  configMap?: string;
  /** One line per kind read, with its count. */
  progress?: (line: string) => void;
}

/** Everything capture read, as the API served it. */
export interface ClusterRead {
  context: string;
  nodes: V1Node[];
  pvcs: V1PersistentVolumeClaim[];
  pvs: V1PersistentVolume[];
  storageClasses: V1StorageClass[];
  /** Absent: the cluster does not serve snapshot.storage.k8s.io/v1 (no CSI snapshot CRDs). */
  snapshotClasses?: VolumeSnapshotClass[];
  /** The node-agent ConfigMap's name looked up, and why that name. */
  configMapName: string;
  configMapNameFrom: 'option' | 'node-agent flag' | 'default';
  /** Absent: no such ConfigMap in Velero's namespace. */
  configMap?: V1ConfigMap;
  /** Absent: the cluster does not serve velero.io/v1 schedules (no Velero CRDs). */
  schedules?: VeleroSchedule[];
  /** The velero server container's args (`server --concurrent-backups ...`); absent when not readable. */
  veleroArgs?: string[];
  /** The node-agent container's args (`node-agent server --data-mover-prepare-timeout ...`). */
  nodeAgentArgs?: string[];
  /** What was absent or not readable, one line each. */
  notes: string[];
}

/** A read that failed: names what was read, and what to do. */
export class CaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureError';
  }
}

/** The RBAC capture needs, in one sentence; docs/capture.md has it as YAML. */
export function rbacNeeded(veleroNamespace: string): string {
  return (
    'capture needs get and list on nodes, persistentvolumeclaims, persistentvolumes, storageclasses (storage.k8s.io) and ' +
    `volumesnapshotclasses (snapshot.storage.k8s.io) at the cluster scope, and in ${veleroNamespace} on configmaps, schedules (velero.io) ` +
    'and, optionally, deployments and daemonsets (apps); docs/capture.md has a ClusterRole and a Role'
  );
}

/** A client-node configuration like makeApiClient's, whose requests carry CAPTURE_USER_AGENT and a timeout. */
function captureConfiguration(kc: KubeConfig) {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new CaptureError('the kubeconfig has no cluster for its current context');
  return createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    httpApi: nodeHttpLibrary,
    authMethods: {
      default: {
        getName: () => 'kubeconfig',
        async applySecurityAuthentication(ctx) {
          await kc.applySecurityAuthentication(ctx);
          ctx.setHeaderParam('User-Agent', CAPTURE_USER_AGENT);
          ctx.setSignal(AbortSignal.timeout(REQUEST_TIMEOUT_MS));
        },
      },
    },
  });
}

/** A Go (pflag) flag's value in a container's command and args: --name=value or --name value; the last wins. */
export function flagOf(args: string[], name: string): string | undefined {
  let value: string | undefined;
  args.forEach((a, i) => {
    if (a === `--${name}` && i + 1 < args.length && !args[i + 1].startsWith('-')) value = args[i + 1];
    else if (a.startsWith(`--${name}=`)) value = a.slice(name.length + 3);
  });
  return value;
}

type Page<T> = { items: T[]; metadata?: { _continue?: string; continue?: string } };

/** Every item of a list, page by page (limit / continue). */
async function listAll<T>(page: (cont: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cont: string | undefined;
  do {
    const p = await page(cont);
    out.push(...p.items);
    cont = p.metadata?._continue || p.metadata?.continue || undefined;
  } while (cont);
  return out;
}

export async function readCluster(kc: KubeConfig, opts: ReadOptions): Promise<ClusterRead> {
  const config = captureConfiguration(kc);
  const core = new CoreV1Api(config);
  const storage = new StorageV1Api(config);
  const apps = new AppsV1Api(config);
  const custom = new CustomObjectsApi(config);
  const context = kc.getCurrentContext();
  const server = kc.getCurrentCluster()!.server;
  const progress = opts.progress ?? (() => {});
  const ns = opts.veleroNamespace;
  const notes: string[] = [];

  /** A failed read as a CaptureError naming it: forbidden, refused credentials, unreachable, or the server's answer. */
  const failure = (what: string, e: unknown): CaptureError => {
    const status = statusOf(e);
    const message = errorMessage(e);
    if (status === 403) return new CaptureError(`${what}: forbidden (${message}). ${rbacNeeded(ns)}`);
    if (status === 401) return new CaptureError(`${what}: the cluster at ${server} refused the credentials of context ${context} (401 Unauthorized): ${message}`);
    if (status === undefined) return new CaptureError(`cannot reach the cluster at ${server} (context ${context}) ${what}: ${message}`);
    return new CaptureError(`${what}: HTTP ${status}: ${message}`);
  };
  const must = async <T>(what: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (e) {
      throw failure(what, e);
    }
  };
  /** A read whose answer may be one of `absent` (404: not served or not there; 403 where optional): undefined and the status. */
  const may = async <T>(what: string, send: () => Promise<T>, absent: number[]): Promise<{ value?: T; status?: number }> => {
    try {
      return { value: await send() };
    } catch (e) {
      const status = statusOf(e);
      if (status !== undefined && absent.includes(status)) return { status };
      throw failure(what, e);
    }
  };

  const nodes = await must('listing nodes', () => listAll((c) => core.listNode({ limit: PAGE, _continue: c })));
  progress(`nodes                   ${nodes.length}`);

  const pvcs = opts.namespaces
    ? (
        await Promise.all(
          opts.namespaces.map((n) =>
            must(`listing persistentvolumeclaims in ${n}`, () => listAll((c) => core.listNamespacedPersistentVolumeClaim({ namespace: n, limit: PAGE, _continue: c }))),
          ),
        )
      ).flat()
    : await must('listing persistentvolumeclaims in all namespaces', () => listAll((c) => core.listPersistentVolumeClaimForAllNamespaces({ limit: PAGE, _continue: c })));
  progress(`persistentvolumeclaims  ${pvcs.length}${opts.namespaces ? ` in ${opts.namespaces.join(', ')}` : ''}`);

  const pvs = await must('listing persistentvolumes', () => listAll((c) => core.listPersistentVolume({ limit: PAGE, _continue: c })));
  progress(`persistentvolumes       ${pvs.length}`);

  const storageClasses = await must('listing storageclasses', () => listAll((c) => storage.listStorageClass({ limit: PAGE, _continue: c })));
  progress(`storageclasses          ${storageClasses.length}`);

  const { value: snapshotClasses } = await may(
    'listing volumesnapshotclasses (snapshot.storage.k8s.io/v1)',
    () => listAll((c) => custom.listClusterCustomObject({ group: 'snapshot.storage.k8s.io', version: 'v1', plural: 'volumesnapshotclasses', limit: PAGE, _continue: c }) as Promise<Page<VolumeSnapshotClass>>),
    [404],
  );
  if (!snapshotClasses) notes.push('volumesnapshotclasses: the cluster does not serve snapshot.storage.k8s.io/v1 (no CSI snapshot CRDs): none');
  progress(`volumesnapshotclasses   ${snapshotClasses ? snapshotClasses.length : 'none (no snapshot.storage.k8s.io/v1 API)'}`);

  const { value: schedules } = await may(
    `listing schedules (velero.io/v1) in ${ns}`,
    () => listAll((c) => custom.listNamespacedCustomObject({ group: 'velero.io', version: 'v1', namespace: ns, plural: 'schedules', limit: PAGE, _continue: c }) as Promise<Page<VeleroSchedule>>),
    [404],
  );
  if (!schedules) notes.push('schedules: the cluster does not serve velero.io/v1 schedules (no Velero CRDs): skipped');
  progress(`schedules               ${schedules ? schedules.length : 'none (no velero.io/v1 Schedule CRD)'}`);

  // Optional: the flags the scenario file has fields for. Absent or forbidden is a note, not a failure.
  const argsOf = (containers: V1Container[] | undefined, name: string) => {
    const c = containers?.find((x) => x.name === name) ?? containers?.[0];
    return c ? [...(c.command ?? []), ...(c.args ?? [])] : undefined;
  };
  const why = (status: number | undefined) => (status === 404 ? 'not found' : 'forbidden');
  const deployment = await may(`getting deployment ${ns}/velero`, () => apps.readNamespacedDeployment({ namespace: ns, name: 'velero' }), [403, 404]);
  const veleroArgs = argsOf(deployment.value?.spec?.template.spec?.containers, 'velero');
  if (!deployment.value) notes.push(`deployment ${ns}/velero: ${why(deployment.status)}: the server's --concurrent-backups and --default-item-operation-timeout not read`);
  const daemonSet = await may(`getting daemonset ${ns}/node-agent`, () => apps.readNamespacedDaemonSet({ namespace: ns, name: 'node-agent' }), [403, 404]);
  const nodeAgentArgs = argsOf(daemonSet.value?.spec?.template.spec?.containers, 'node-agent');
  if (!daemonSet.value) notes.push(`daemonset ${ns}/node-agent: ${why(daemonSet.status)}: the node-agent's --data-mover-prepare-timeout not read`);
  progress(`velero, node-agent      ${deployment.value ? 'deployment read' : `deployment ${why(deployment.status)}`}, ${daemonSet.value ? 'daemonset read' : `daemonset ${why(daemonSet.status)}`}`);

  const flagged = nodeAgentArgs && flagOf(nodeAgentArgs, 'node-agent-configmap');
  const configMapName = opts.configMap ?? flagged ?? DEFAULT_CONFIGMAP;
  const configMapNameFrom = opts.configMap ? 'option' : flagged ? 'node-agent flag' : 'default';
  const { value: configMap } = await may(`getting configmap ${ns}/${configMapName}`, () => core.readNamespacedConfigMap({ namespace: ns, name: configMapName }), [404]);
  if (!configMap) notes.push(`configmap ${ns}/${configMapName}: not found: no nodeAgentConfigMap written (Velero's defaults apply)`);
  progress(`configmap               ${configMap ? `${ns}/${configMapName}` : `none (${ns}/${configMapName} not found)`}`);


  return { context, nodes, pvcs, pvs, storageClasses, snapshotClasses, configMapName, configMapNameFrom, configMap, schedules, veleroArgs, nodeAgentArgs, notes };
}
