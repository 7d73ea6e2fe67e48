// Where the contract tests run: the embedded cluster by default (over loopback TCP), the
// embedded cluster over in-process connections (CONTRACT_TARGET=in-process, what scenario runs
// use), or any cluster when CONTRACT_TARGET=kubeconfig (then KUBECONFIG, or ~/.kube/config,
// says which).
import { KubeConfig } from '@kubernetes/client-node';
import { startEmbeddedCluster, type EmbeddedCluster } from '../cluster/embedded.ts';

export interface TestTarget {
  kind: 'embedded' | 'kubeconfig';
  kubeConfig: KubeConfig;
  /** Present on the embedded target only: the fault seam and internals. */
  embedded?: EmbeddedCluster;
  stop(): Promise<void>;
}

export async function startTestTarget(): Promise<TestTarget> {
  const requested = process.env.CONTRACT_TARGET ?? 'embedded';
  if (requested === 'kubeconfig') {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromDefault();
    return { kind: 'kubeconfig', kubeConfig, stop: async () => {} };
  }
  if (requested !== 'embedded' && requested !== 'in-process') {
    throw new Error(`CONTRACT_TARGET: ${JSON.stringify(requested)} is not accepted: use "embedded" (default), "in-process" or "kubeconfig"`);
  }
  const embedded = await startEmbeddedCluster({ bookmarkIntervalMs: 200 });
  let kubeConfig = new KubeConfig();
  if (requested === 'in-process') kubeConfig = embedded.inProcessKubeConfig();
  else kubeConfig.loadFromString(embedded.kubeconfig);
  return { kind: 'embedded', kubeConfig, embedded, stop: () => embedded.stop() };
}

/** Polls until check returns a value other than undefined, or fails after timeoutMs. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}
