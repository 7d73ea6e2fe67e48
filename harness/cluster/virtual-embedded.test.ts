// The embedded cluster on the virtual clock, driven over HTTP by @kubernetes/client-node as the
// controller will be: simulated time moves only when client and cluster are idle.
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VIRTUAL_START, VirtualClock } from '../sim/virtual-clock.ts';
import { startEmbeddedCluster } from './embedded.ts';

describe('embedded cluster on the virtual clock', () => {
  it('a pod created over HTTP runs and completes in simulated time, and a watch sees every phase', async () => {
    const clock = new VirtualClock();
    const cluster = await startEmbeddedCluster({
      clock,
      seed: 3,
      simulation: { nodes: [{ count: 2, namePrefix: 'worker', capacity: { cpu: '4', memory: '16Gi', pods: '110' } }] },
    });
    try {
      const kc = new KubeConfig();
      kc.loadFromString(cluster.kubeconfig);
      const core = kc.makeApiClient(CoreV1Api);
      const phases: string[] = [];
      const list = await clock.track(core.listNamespacedPod({ namespace: 'default' }));
      const watch = await clock.track(
        new Watch(kc).watch('/api/v1/namespaces/default/pods', { resourceVersion: list.metadata!.resourceVersion }, (_t, obj) => {
          const phase = obj.status?.phase;
          if (phase && phases[phases.length - 1] !== phase) phases.push(phase);
        }, () => undefined),
      );
      await clock.track(
        core.createNamespacedPod({
          namespace: 'default',
          body: {
            metadata: { name: 'job', annotations: { 'datamover-bench.io/run-seconds': '600' } },
            spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36' }] },
          },
        }),
      );
      const t0 = Date.now();
      const outcome = await clock.run(() => phases.includes('Succeeded'), DEFAULT_VIRTUAL_START + 3600_000);
      watch.abort();
      expect(outcome).toBe('done');
      expect(phases).toEqual(['Pending', 'Running', 'Succeeded']);
      const pod = await core.readNamespacedPod({ name: 'job', namespace: 'default' });
      const started = Date.parse(String(pod.status!.containerStatuses![0].state!.terminated!.startedAt));
      const finished = Date.parse(String(pod.status!.containerStatuses![0].state!.terminated!.finishedAt));
      expect((finished - started) / 1000).toBeCloseTo(600, 0);
      expect(clock.now() - DEFAULT_VIRTUAL_START).toBeGreaterThanOrEqual(600_000);
      expect(Date.now() - t0).toBeLessThan(30_000); // ten simulated minutes, not ten real ones
    } finally {
      await cluster.stop();
    }
  });
});
