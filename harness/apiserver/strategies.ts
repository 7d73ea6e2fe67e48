// Per-kind behaviour on create and update: defaults the real apiserver (and its default
// admission plugins) apply, and the validation the project relies on. Kinds without an
// entry are stored as sent. Custom resources are validated against their CRD schema in api.ts.
import type { FieldError, KubeObject } from './types.ts';

export interface Strategy {
  /** Defaults and admission on create. */
  prepareForCreate?(obj: KubeObject): void;
  /** Carry over what an update of the main resource may not change (e.g. status when a status subresource exists). */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  validate?(obj: KubeObject, old?: KubeObject): FieldError[];
  /** How metadata.name is validated. */
  nameRule?: 'subdomain' | 'label';
}

type Obj = Record<string, any>;

const required = (field: string): FieldError => ({ reason: 'FieldValueRequired', field, message: 'Required value' });
const notSupported = (field: string, value: unknown, supported: string[]): FieldError => ({
  reason: 'FieldValueNotSupported',
  field,
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
});
const forbidden = (field: string, message: string): FieldError => ({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${message}` });

function hasResources(c: Obj): { requests: boolean; limits: boolean } {
  const r = c.resources ?? {};
  return {
    requests: Object.keys(r.requests ?? {}).length > 0,
    limits: Object.keys(r.limits ?? {}).length > 0,
  };
}

/** Pod QoS class as the kubelet and apiserver compute it (pkg/apis/core/helper/qos). */
export function podQosClass(spec: Obj): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const containers: Obj[] = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  if (containers.every((c) => !hasResources(c).requests && !hasResources(c).limits)) return 'BestEffort';
  const guaranteed = containers.every((c) => {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    return ['cpu', 'memory'].every((r) => lim[r] !== undefined && (req[r] === undefined || String(req[r]) === String(lim[r])));
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultContainer(c: Obj): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (c.imagePullPolicy === undefined) {
    const image = String(c.image ?? '');
    const tagged = /:[^/]+$/.test(image) || image.includes('@');
    c.imagePullPolicy = !tagged || image.endsWith(':latest') ? 'Always' : 'IfNotPresent';
  }
  c.resources ??= {};
  // Limits without requests: requests default to the limits.
  if (c.resources.limits) {
    c.resources.requests = { ...c.resources.limits, ...(c.resources.requests ?? {}) };
  }
}

const podSpecUpdatable = new Set(['activeDeadlineSeconds', 'tolerations', 'terminationGracePeriodSeconds']);

const pod: Strategy = {
  prepareForCreate(obj) {
    const spec = (obj.spec ??= {}) as Obj;
    spec.restartPolicy ??= 'Always';
    spec.terminationGracePeriodSeconds ??= 30;
    spec.dnsPolicy ??= 'ClusterFirst';
    spec.schedulerName ??= 'default-scheduler';
    spec.serviceAccountName ??= 'default';
    spec.serviceAccount ??= spec.serviceAccountName;
    spec.securityContext ??= {};
    spec.priority ??= 0;
    spec.enableServiceLinks ??= true;
    spec.preemptionPolicy ??= 'PreemptLowerPriority';
    for (const c of spec.containers ?? []) defaultContainer(c);
    for (const c of spec.initContainers ?? []) defaultContainer(c);
    // DefaultTolerationSeconds admission plugin: tolerate NotReady / Unreachable for 300s.
    const tolerations: Obj[] = (spec.tolerations ??= []);
    for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
      const has = tolerations.some((t) => t.key === key && (t.effect === 'NoExecute' || !t.effect)) ||
        tolerations.some((t) => t.operator === 'Exists' && !t.key && (t.effect === 'NoExecute' || !t.effect));
      if (!has) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    }
    obj.status = { phase: 'Pending', qosClass: podQosClass(spec) };
  },
  prepareForUpdate(obj, old) {
    obj.status = old.status;
  },
  validate(obj, old) {
    const errs: FieldError[] = [];
    const spec = (obj.spec ?? {}) as Obj;
    const containers: Obj[] = spec.containers ?? [];
    if (containers.length === 0) errs.push(required('spec.containers'));
    const seen = new Set<string>();
    containers.forEach((c, i) => {
      if (!c.name) errs.push(required(`spec.containers[${i}].name`));
      else if (seen.has(c.name)) {
        errs.push({ reason: 'FieldValueDuplicate', field: `spec.containers[${i}].name`, message: `Duplicate value: ${JSON.stringify(c.name)}` });
      }
      seen.add(c.name);
      if (!c.image && !old) errs.push(required(`spec.containers[${i}].image`));
    });
    if (spec.restartPolicy && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) {
      errs.push(notSupported('spec.restartPolicy', spec.restartPolicy, ['Always', 'OnFailure', 'Never']));
    }
    if (old) {
      const a = { ...(old.spec as Obj) };
      const b = { ...spec };
      for (const f of podSpecUpdatable) {
        delete a[f];
        delete b[f];
      }
      const images = (cs: Obj[] | undefined) => (cs ?? []).map((c) => ({ ...c, image: undefined }));
      a.containers = images(a.containers);
      b.containers = images(b.containers);
      a.initContainers = images(a.initContainers);
      b.initContainers = images(b.initContainers);
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        errs.push(forbidden('spec', 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)'));
      }
    }
    return errs;
  },
};

const withStatusSubresource: Strategy = {
  prepareForUpdate(obj, old) {
    obj.status = old.status;
  },
};

const namespace: Strategy = {
  nameRule: 'label',
  prepareForCreate(obj) {
    obj.spec = { finalizers: ['kubernetes'], ...(obj.spec as Obj) };
    obj.status = { phase: 'Active' };
    obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name! };
  },
  prepareForUpdate(obj, old) {
    obj.spec = old.spec;
    obj.status = old.status;
    obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name! };
  },
};

const pvc: Strategy = {
  prepareForCreate(obj) {
    const spec = (obj.spec ??= {}) as Obj;
    spec.volumeMode ??= 'Filesystem';
    obj.status = { phase: 'Pending' };
  },
  prepareForUpdate: withStatusSubresource.prepareForUpdate,
  validate(obj) {
    const spec = (obj.spec ?? {}) as Obj;
    const errs: FieldError[] = [];
    if (!spec.accessModes?.length) errs.push(required('spec.accessModes'));
    if (!spec.resources?.requests?.storage) errs.push(required('spec.resources[storage]'));
    return errs;
  },
};

const pv: Strategy = {
  prepareForCreate(obj) {
    const spec = (obj.spec ??= {}) as Obj;
    spec.persistentVolumeReclaimPolicy ??= 'Retain';
    spec.volumeMode ??= 'Filesystem';
    obj.status = { phase: 'Pending' };
  },
  prepareForUpdate: withStatusSubresource.prepareForUpdate,
};

const storageClass: Strategy = {
  prepareForCreate(obj) {
    (obj as Obj).reclaimPolicy ??= 'Delete';
    (obj as Obj).volumeBindingMode ??= 'Immediate';
  },
};

const STRATEGIES: Record<string, Strategy> = {
  '/pods': pod,
  '/namespaces': namespace,
  '/nodes': withStatusSubresource,
  '/persistentvolumeclaims': pvc,
  '/persistentvolumes': pv,
  'storage.k8s.io/storageclasses': storageClass,
};

export function strategyFor(groupResource: string): Strategy {
  return STRATEGIES[groupResource] ?? {};
}
