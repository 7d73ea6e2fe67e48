import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { startEmbeddedCluster } from '../../harness/cluster/embedded.ts';
import { WallClock } from '../clock.ts';
import { isConflict, KubeIo, type Obj } from './io.ts';

describe('KubeIo', () => {
  it('round-trips core and custom objects as plain JSON, counting requests by verb, and detects conflicts', async () => {
    const cluster = await startEmbeddedCluster({ simulation: { nodes: [{ count: 1, namePrefix: 'w', capacity: { cpu: '4', memory: '8Gi', pods: '110' } }] } });
    try {
      const kc = new KubeConfig();
      kc.loadFromString(cluster.kubeconfig);
      const io = new KubeIo(kc, { who: 'test', clock: new WallClock() });
            const pvc = await io.createObject<Obj>('persistentvolumeclaims', {
        apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'a', namespace: 'default' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      });
      expect(typeof pvc.metadata?.creationTimestamp).toBe('string');
      const du = await io.createObject<Obj>('datauploads', {
        apiVersion: 'velero.io/v2alpha1', kind: 'DataUpload', metadata: { name: 'du', namespace: 'default' },
        spec: { snapshotType: 'CSI', sourcePVC: 'a', sourceNamespace: 'default', backupStorageLocation: 'default', operationTimeout: '10m0s' },
      });
      const a = structuredClone(du); a.status = { phase: 'Accepted' };
      const b = structuredClone(du); b.status = { phase: 'Accepted', acceptedByNode: 'x' };
      await io.replaceObject('datauploads', a);
      const err = await io.replaceObject('datauploads', b).catch((e) => e);
      expect(isConflict(err)).toBe(true);
      const cache = io.watch('velero.io/v2alpha1', 'datauploads', 'default');
      await cache.start();
      expect(cache.list().map((o) => o.status?.phase)).toEqual(['Accepted']);
      await cache.stop();
      expect(io.cost.sent).toMatchObject({ create: 2, update: 2, list: 1, watch: 1 });
      expect(io.cost.conflicts).toBe(1);
    } finally {
      await cluster.stop();
    }
  });

  it('keeps its connection: many requests, one TCP connection (client-node alone opens one per request)', async () => {
    const cluster = await startEmbeddedCluster({});
    try {
      let connections = 0;
      (cluster.server as unknown as { server: import('node:http').Server }).server.on('connection', () => connections++);
      const kc = new KubeConfig();
      kc.loadFromString(cluster.kubeconfig);
      const io = new KubeIo(kc, { who: 'test', clock: new WallClock() });
      for (let i = 0; i < 20; i++) await io.listObjects('v1', 'nodes');
      expect(io.cost.sent.list).toBe(20);
      expect(connections).toBe(1);
    } finally {
      await cluster.stop();
    }
  });

  const POD = { apiVersion: 'v1', resource: 'pods' };

  it('answers a read from a cache as a modeled request, after its turn like a sent one', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 'c', server: 'http://127.0.0.1:1', skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    const turns: string[] = [];
    const io = new KubeIo(kc, { who: 'test', clock: new WallClock(), pacer: { turn: async (who, what) => void turns.push(`${who}: ${what}`) } });
    await expect(io.answerFromCache('get', POD, () => 'the pod', 'pods/velero/a')).resolves.toBe('the pod');
    expect(turns).toEqual(['test: get pods/velero/a']);
    expect(io.cost.modeled.get).toBe(1);
    expect(io.cost.sent.get).toBe(0);
    expect([...io.cost.access]).toEqual(['get /pods']);
    io.close();
    await expect(io.answerFromCache('get', POD, () => 'x')).rejects.toThrow(/test: stopped/);
  });
});

describe('KubeIo.watch after a relist', () => {
  it('delivers every object it already had as an update, as client-go\'s shared informer does after 410 Gone (client-node alone: only the changed ones)', async () => {
    const cluster = await startEmbeddedCluster({});
    try {
      const kc = new KubeConfig();
      kc.loadFromString(cluster.kubeconfig);
      const io = new KubeIo(kc, { who: 'test', clock: new WallClock() });
      const cm = (name: string) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
      for (const n of ['a', 'b']) await io.createObject('persistentvolumeclaims', cm(n));
      const cache = io.watch<Obj>('v1', 'persistentvolumeclaims', 'default');
      const seen: string[] = [];
      cache.on('add', (o) => seen.push(`add ${o.metadata!.name}`));
      cache.on('update', (o) => seen.push(`update ${o.metadata!.name}`));
      await cache.start();
      expect(seen.sort()).toEqual(['add a', 'add b']);
      seen.length = 0;
      const gone = cluster.server.forceGone('persistentvolumeclaims');
      expect(gone).toBe(1);
      const until = Date.now() + 5000;
      while (seen.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(seen.sort()).toEqual(['update a', 'update b']);
      await cache.stop();
    } finally {
      await cluster.stop();
    }
  });
});
