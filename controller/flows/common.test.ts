import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { dataPathFailureReason, hasElapsed, msSince, podRunningOn, podUnrecoverable, type PodUnrecoverable } from './common.ts';

function pod(status: V1Pod['status'], nodeName = 'node-a'): V1Pod {
  return { metadata: { name: 'du-1', namespace: 'velero' }, spec: { nodeName, containers: [] }, status };
}

const disrupted = (reason: string) => ({ conditions: [{ type: 'DisruptionTarget', status: 'True', reason }] });
const terminated = (message: string) => ({ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, message } } });
const waiting = (reason: string) => ({ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason } } });

describe('podUnrecoverable (Velero kube.IsPodUnrecoverable, with the outcome reason)', () => {
  const rows: { name: string; status: V1Pod['status']; expected: PodUnrecoverable | undefined }[] = [
    { name: 'Running', status: { phase: 'Running' }, expected: undefined },
    { name: 'Pending', status: { phase: 'Pending' }, expected: undefined },
    { name: 'Succeeded', status: { phase: 'Succeeded' }, expected: undefined },
    { name: 'no status', status: undefined, expected: undefined },
    { name: 'Pending with ErrImagePull (kubelet retries it)', status: { phase: 'Pending', containerStatuses: [waiting('ErrImagePull')] }, expected: undefined },
    {
      name: 'Pending with ImagePullBackOff',
      status: { phase: 'Pending', containerStatuses: [waiting('ImagePullBackOff')] },
      expected: { message: 'Container c in Pod velero/du-1 is in pull image failed with reason ImagePullBackOff', reason: 'pod-failed' },
    },
    {
      name: 'Pending with ErrImageNeverPull',
      status: { phase: 'Pending', containerStatuses: [waiting('ErrImageNeverPull')] },
      expected: { message: 'Container c in Pod velero/du-1 is in pull image failed with reason ErrImageNeverPull', reason: 'pod-failed' },
    },
    {
      name: 'Failed, evicted by the kubelet',
      status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.', ...disrupted('TerminationByKubelet') },
      expected: { message: 'Pod is in abnormal state [Failed], message [The node was low on resource: memory./]', reason: 'pod-evicted' },
    },
    {
      name: 'Failed through the Eviction API',
      status: { phase: 'Failed', ...disrupted('EvictionByEvictionAPI') },
      expected: { message: 'Pod is in abnormal state [Failed], message []', reason: 'pod-evicted' },
    },
    {
      name: 'Failed by podgc: the node no longer exists',
      status: { phase: 'Failed', ...disrupted('DeletionByPodGC') },
      expected: { message: 'Pod is in abnormal state [Failed], message []', reason: 'node-lost' },
    },
    {
      name: 'Failed with reason NodeLost',
      status: { phase: 'Failed', reason: 'NodeLost' },
      expected: { message: 'Pod is in abnormal state [Failed], message []', reason: 'node-lost' },
    },
    {
      name: 'Unknown',
      status: { phase: 'Unknown' },
      expected: { message: 'Pod is in abnormal state [Unknown], message []', reason: 'node-lost' },
    },
    {
      name: 'Failed with containers\' termination messages',
      status: { phase: 'Failed', containerStatuses: [terminated('upload failed'), terminated('')] },
      expected: { message: 'Pod is in abnormal state [Failed], message [upload failed/]', reason: 'pod-failed' },
    },
    {
      name: 'Failed with a DisruptionTarget condition that is False',
      status: { phase: 'Failed', conditions: [{ type: 'DisruptionTarget', status: 'False', reason: 'EvictionByEvictionAPI' }] },
      expected: { message: 'Pod is in abnormal state [Failed], message []', reason: 'pod-failed' },
    },
  ];
  it.each(rows)('$name', ({ status, expected }) => {
    expect(podUnrecoverable(pod(status))).toEqual(expected);
  });

  it('leaves status.message out with podMessage: false (v1.16, v1.17.0)', () => {
    const p = pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.', containerStatuses: [terminated('killed')] });
    expect(podUnrecoverable(p, { podMessage: false })).toEqual({ message: 'Pod is in abnormal state [Failed], message [killed/]', reason: 'pod-evicted' });
    expect(podUnrecoverable(p)?.message).toBe('Pod is in abnormal state [Failed], message [The node was low on resource: memory./killed/]');
  });
});

describe('podRunningOn', () => {
  it.each([
    { name: 'Running on the node', p: pod({ phase: 'Running' }, 'node-a'), expected: true },
    { name: 'Running elsewhere', p: pod({ phase: 'Running' }, 'node-b'), expected: false },
    { name: 'Pending on the node', p: pod({ phase: 'Pending' }, 'node-a'), expected: false },
    { name: 'no pod', p: undefined, expected: false },
  ])('$name', ({ p, expected }) => {
    expect(podRunningOn(p, 'node-a')).toBe(expected);
  });
});

describe('msSince and hasElapsed', () => {
  const now = Date.parse('2025-06-01T12:30:00Z');
  it.each([
    { timestamp: '2025-06-01T12:00:00Z', expected: 30 * 60_000 },
    { timestamp: '2025-06-01T12:29:59.250Z', expected: 750 },
    { timestamp: '2025-06-01T14:30:00+02:00', expected: 0 },
    { timestamp: '2025-06-01T12:31:00Z', expected: -60_000 },
    { timestamp: 'yesterday', expected: undefined },
    { timestamp: '', expected: undefined },
    { timestamp: null, expected: undefined },
    { timestamp: undefined, expected: undefined },
  ])('msSince($timestamp)', ({ timestamp, expected }) => {
    expect(msSince(timestamp, now)).toBe(expected);
  });

  it.each([
    { limitMs: 30 * 60_000, expected: true },
    { limitMs: 30 * 60_000 + 1, expected: false },
    { limitMs: 0, expected: true },
  ])('30 minutes have elapsed against a limit of $limitMs ms: $expected', ({ limitMs, expected }) => {
    expect(hasElapsed('2025-06-01T12:00:00Z', now, limitMs)).toBe(expected);
  });

  it('never elapses without a timestamp', () => {
    expect(hasElapsed(undefined, now, 0)).toBe(false);
  });
});

describe('dataPathFailureReason and the pod deadline', () => {
  const deadline = 'Failed to run data path service for DataUpload du-1: error waiting for du: context deadline exceeded';
  it('names the data-mover pod’s own InProgress deadline apart from other data-path failures', () => {
    expect(dataPathFailureReason(deadline)).toBe('pod-inprogress-timeout');
    expect(dataPathFailureReason('error to run backup: connection reset')).toBe('data-path-failed');
  });
  it('names a data path ended by an eviction or a lost node after the pod, not the message', () => {
    const evicted = { metadata: { name: 'du-1' }, status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' } } as unknown as V1Pod;
    const lost = { metadata: { name: 'du-1' }, status: { phase: 'Failed', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager' }] } } as unknown as V1Pod;
    const plain = { metadata: { name: 'du-1' }, status: { phase: 'Failed' } } as unknown as V1Pod;
    expect(dataPathFailureReason('exit 137', evicted)).toBe('pod-evicted');
    expect(dataPathFailureReason('exit 137', lost)).toBe('node-lost');
    expect(dataPathFailureReason('exit 1', plain)).toBe('data-path-failed');
    expect(dataPathFailureReason(deadline, evicted)).toBe('pod-inprogress-timeout');
  });
  it('classifies a pod that exited on that deadline as pod-inprogress-timeout', () => {
    const pod = {
      metadata: { name: 'du-1', namespace: 'velero' },
      status: { phase: 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 1, message: deadline } } }] },
    } as unknown as V1Pod;
    expect(podUnrecoverable(pod)?.reason).toBe('pod-inprogress-timeout');
  });
});
