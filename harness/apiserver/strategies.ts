// Per-kind behaviour on create and update: defaults the real apiserver (and its default
// admission plugins) apply, and the validation the project relies on. Kinds without an
// entry are stored as sent. Custom resources are validated against their CRD schema in api.ts.
// DaemonSets and Deployments are stored with their defaults and status as written: no
// workload controller creates pods from them.
import { goQuote, utf8Length, validateConfigMapKey } from './names.ts';
import { validateResourceQuota } from './quota.ts';
import { labelSelectorMatcher, SelectorError } from './selectors.ts';
import type { FieldError, KubeObject } from './types.ts';

export interface Strategy {
  /** Defaults and admission on create. */
  prepareForCreate?(obj: KubeObject): void;
  /** Carry over what an update of the main resource may not change (e.g. status when a status subresource exists). */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  validate?(obj: KubeObject, old?: KubeObject): FieldError[];
  /** How metadata.name is validated. */
  nameRule?: 'subdomain' | 'label' | 'path';
  /** metadata.generation starts at 1 and is bumped when anything but metadata and status changes. */
  tracksGeneration?: boolean;
}

type Obj = Record<string, any>;

const required = (field: string, detail = ''): FieldError => ({
  reason: 'FieldValueRequired',
  field,
  message: detail ? `Required value: ${detail}` : 'Required value',
});
/** field.Invalid; value is already rendered as the apiserver prints it (Go's %q or %#v). */
const invalid = (field: string, value: string, detail: string): FieldError => ({
  reason: 'FieldValueInvalid',
  field,
  message: `Invalid value: ${value}: ${detail}`,
});
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
  if (!isObject(c)) return;
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (c.imagePullPolicy === undefined) {
    const image = String(c.image ?? '');
    const tagged = /:[^/]+$/.test(image) || image.includes('@');
    c.imagePullPolicy = !tagged || image.endsWith(':latest') ? 'Always' : 'IfNotPresent';
  }
  c.resources ??= {};
  for (const p of c.ports ?? []) if (isObject(p)) p.protocol ??= 'TCP';
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
    if (!isObject(probe)) continue;
    probe.timeoutSeconds ??= 1;
    probe.periodSeconds ??= 10;
    probe.successThreshold ??= 1;
    probe.failureThreshold ??= 3;
    if (isObject(probe.httpGet)) {
      probe.httpGet.path ||= '/';
      probe.httpGet.scheme ||= 'HTTP';
    }
  }
}

/** SetDefaults_PodSpec with its containers and volumes: what a pod template shows once stored. */
function defaultPodSpec(spec: Obj): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  // The v1 conversion keeps the deprecated serviceAccount equal to serviceAccountName.
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const v of spec.volumes ?? []) {
    if (isObject(v?.hostPath)) v.hostPath.type ??= '';
    for (const source of [v?.configMap, v?.secret, v?.projected, v?.downwardAPI]) if (isObject(source)) source.defaultMode ??= 0o644;
  }
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];

/** The pod spec checks the project relies on, at `at` ("spec", or "spec.template.spec" in a workload). */
function validatePodSpec(spec: Obj, at: string, imageRequired: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const containers: Obj[] = (spec.containers ?? []).map((c: Obj | null) => c ?? {});
  if (containers.length === 0) errs.push(required(`${at}.containers`));
  const seen = new Set<string>();
  containers.forEach((c, i) => {
    if (!c.name) errs.push(required(`${at}.containers[${i}].name`));
    else if (seen.has(c.name)) {
      errs.push({ reason: 'FieldValueDuplicate', field: `${at}.containers[${i}].name`, message: `Duplicate value: ${JSON.stringify(c.name)}` });
    }
    seen.add(c.name);
    if (!c.image && imageRequired) errs.push(required(`${at}.containers[${i}].image`));
  });
  if (spec.restartPolicy && !RESTART_POLICIES.includes(spec.restartPolicy)) {
    errs.push(notSupported(`${at}.restartPolicy`, spec.restartPolicy, RESTART_POLICIES));
  }
  return errs;
}

const podSpecUpdatable = new Set(['activeDeadlineSeconds', 'tolerations', 'terminationGracePeriodSeconds']);

const pod: Strategy = {
  prepareForCreate(obj) {
    const spec = (obj.spec ??= {}) as Obj;
    defaultPodSpec(spec);
    // Pods only (SetDefaults_Pod and admission), not their templates:
    spec.serviceAccountName ??= 'default';
    spec.serviceAccount ??= spec.serviceAccountName;
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      // Limits without requests: requests default to the limits.
      if (c?.resources?.limits) c.resources.requests = { ...c.resources.limits, ...(c.resources.requests ?? {}) };
    }
    spec.priority ??= 0;
    spec.enableServiceLinks ??= true;
    spec.preemptionPolicy ??= 'PreemptLowerPriority';
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
    const spec = (obj.spec ?? {}) as Obj;
    const errs = validatePodSpec(spec, 'spec', !old);
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

/** ResourceQuota: status is the controller's (cleared on create, kept on update), validated as quota.ts says. */
const resourceQuota: Strategy = {
  prepareForCreate(obj) {
    obj.status = {};
  },
  prepareForUpdate(obj, old) {
    obj.status = old.status;
  },
  validate: (obj) => validateResourceQuota(obj),
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

/** core.MaxSecretSize: what the data of a ConfigMap or Secret may add up to. */
const MAX_DATA_BYTES = 1024 * 1024;

/** Bytes of a base64 value once decoded (the size Go's []byte has). */
function decodedLength(b64: string): number {
  return Math.floor((b64.length * 3) / 4) - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
}

/**
 * ValidateConfigMap and ValidateSecret (pkg/apis/core/validation/validation.go): every key a
 * config key, no key in both data and binaryData, and at most 1 MiB in all.
 */
function dataValidation(bags: { field: string; base64: boolean }[], duplicates: boolean): Strategy['validate'] {
  return (obj) => {
    const errs: FieldError[] = [];
    let total = 0;
    const seen = new Set<string>();
    for (const { field, base64 } of bags) {
      const bag = (obj as Obj)[field];
      if (!isObject(bag)) continue;
      for (const [key, value] of Object.entries(bag)) {
        for (const msg of validateConfigMapKey(key)) errs.push(invalid(`${field}[${key}]`, goQuote(key), msg));
        if (duplicates && seen.has(key)) errs.push(invalid(`data[${key}]`, goQuote(key), 'duplicate of key present in binaryData'));
        seen.add(key);
        total += base64 ? decodedLength(String(value)) : utf8Length(String(value));
      }
    }
    if (total > MAX_DATA_BYTES) {
      errs.push({ reason: 'FieldValueTooLong', field: duplicates ? '' : 'data', message: `Too long: may not be more than ${MAX_DATA_BYTES} bytes` });
    }
    return errs;
  };
}

const configMap: Strategy = { validate: dataValidation([{ field: 'binaryData', base64: true }, { field: 'data', base64: false }], true) };
const secret: Strategy = { validate: dataValidation([{ field: 'data', base64: true }, { field: 'stringData', base64: false }], false) };

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

// ---- apps/v1 DaemonSets and Deployments ------------------------------------------------------

interface Workload {
  /** As validation messages name it. */
  name: 'daemonset' | 'deployment';
  /** The update strategy field and the types it accepts. */
  strategy: 'updateStrategy' | 'strategy';
  strategyTypes: string[];
  /** SetDefaults_DaemonSet / SetDefaults_Deployment on the spec. */
  setDefaults(spec: Obj): void;
  /** Status on create: the Go type's fields without omitempty. */
  initialStatus(): Obj;
}

function workloadStrategy(w: Workload): Strategy {
  const defaults = (obj: KubeObject) => {
    const spec = (obj.spec ??= {}) as Obj;
    w.setDefaults(spec);
    if (isObject(spec.template)) defaultPodSpec((spec.template.spec ??= {}));
  };
  return {
    tracksGeneration: true,
    prepareForCreate(obj) {
      defaults(obj);
      obj.status = w.initialStatus();
    },
    prepareForUpdate(obj, old) {
      defaults(obj);
      obj.status = old.status;
    },
    validate: (obj, old) => validateWorkload(w, obj, old),
  };
}

function validateWorkload(w: Workload, obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const spec = (obj.spec ?? {}) as Obj;
  const template: Obj = isObject(spec.template) ? spec.template : {};
  const selector = isObject(spec.selector) ? spec.selector : undefined;
  if (!selector) errs.push(required('spec.selector'));
  else if (Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0) {
    errs.push(invalid('spec.selector', goLabelSelector(selector), `empty selector is invalid for ${w.name}`));
  }
  try {
    const labels = template.metadata?.labels;
    if (!labelSelectorMatcher(selector)(labels ?? {})) {
      errs.push(invalid('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`'));
    }
  } catch (e) {
    if (!(e instanceof SelectorError)) throw e;
    errs.push(invalid('spec.selector', goLabelSelector(selector), e.message));
  }
  const podSpec: Obj = isObject(template.spec) ? template.spec : {};
  errs.push(...validatePodSpec(podSpec, 'spec.template.spec', true));
  if (podSpec.restartPolicy !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', podSpec.restartPolicy ?? '', ['Always']));
  const type = spec[w.strategy]?.type;
  if (!w.strategyTypes.includes(type)) errs.push(notSupported(`spec.${w.strategy}.type`, type ?? '', w.strategyTypes));
  for (const f of ['replicas', 'minReadySeconds', 'revisionHistoryLimit']) {
    if (typeof spec[f] === 'number' && spec[f] < 0) errs.push(invalid(`spec.${f}`, String(spec[f]), 'must be greater than or equal to 0'));
  }
  if (old && !sameJson((old.spec as Obj | undefined)?.selector, spec.selector)) {
    errs.push(invalid('spec.selector', goLabelSelector(selector), 'field is immutable'));
  }
  return errs;
}

const daemonSet = workloadStrategy({
  name: 'daemonset',
  strategy: 'updateStrategy',
  strategyTypes: ['OnDelete', 'RollingUpdate'],
  setDefaults(spec) {
    const strategy = (spec.updateStrategy ??= {});
    strategy.type ||= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const rolling = (strategy.rollingUpdate ??= {});
      rolling.maxUnavailable ??= 1;
      rolling.maxSurge ??= 0;
    }
    spec.revisionHistoryLimit ??= 10;
  },
  initialStatus: () => ({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 }),
});

const deploymentWorkload = workloadStrategy({
  name: 'deployment',
  strategy: 'strategy',
  strategyTypes: ['Recreate', 'RollingUpdate'],
  setDefaults(spec) {
    spec.replicas ??= 1;
    const strategy = (spec.strategy ??= {});
    strategy.type ||= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const rolling = (strategy.rollingUpdate ??= {});
      rolling.maxUnavailable ??= '25%';
      rolling.maxSurge ??= '25%';
    }
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
  },
  initialStatus: () => ({}),
});

const deployment: Strategy = {
  ...deploymentWorkload,
  prepareForUpdate(obj, old) {
    deploymentWorkload.prepareForUpdate!(obj, old);
    // Annotations are copied to the ReplicaSets, so changing them is a new generation too.
    if (!sameJson(obj.metadata.annotations ?? {}, old.metadata.annotations ?? {})) {
      obj.metadata.generation = (old.metadata.generation ?? 0) + 1;
    }
  },
};

// ---- rbac.authorization.k8s.io/v1 ---------------------------------------------------------------

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** ValidatePolicyRule for each of rules; namespaced rules (Roles) cannot name non-resource URLs. */
function validateRules(rules: unknown, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  (Array.isArray(rules) ? rules : []).forEach((rule: Obj, i) => {
    const at = `rules[${i}]`;
    const has = (f: string) => Array.isArray(rule?.[f]) && rule[f].length > 0;
    if (!has('verbs')) errs.push(required(`${at}.verbs`, 'verbs must contain at least one value'));
    if (has('nonResourceURLs')) {
      const urls = goStrings(rule.nonResourceURLs);
      if (namespaced) errs.push(invalid(`${at}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'));
      if (has('apiGroups') || has('resources') || has('resourceNames')) {
        errs.push(invalid(`${at}.nonResourceURLs`, urls, 'rules cannot apply to both regular resources and non-resource URLs'));
      }
      return;
    }
    if (!has('apiGroups')) errs.push(required(`${at}.apiGroups`, 'resource rules must supply at least one api group'));
    if (!has('resources')) errs.push(required(`${at}.resources`, 'resource rules must supply at least one resource'));
  });
  return errs;
}

const role = (namespaced: boolean): Strategy => ({
  nameRule: 'path',
  validate: (obj) => validateRules((obj as Obj).rules, namespaced),
});

/** RoleBindings (namespaced) and ClusterRoleBindings: roleRef and subjects as ValidateRoleBinding checks them. */
function binding(namespaced: boolean): Strategy {
  const roleKinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  const setDefaults = (obj: KubeObject) => {
    const ref = ((obj as Obj).roleRef ??= {});
    ref.apiGroup ||= RBAC_GROUP;
    for (const s of (obj as Obj).subjects ?? []) if (s?.kind === 'User' || s?.kind === 'Group') s.apiGroup ||= RBAC_GROUP;
  };
  return {
    nameRule: 'path',
    prepareForCreate: setDefaults,
    prepareForUpdate: setDefaults,
    validate(obj, old) {
      const errs: FieldError[] = [];
      const ref: Obj = isObject(obj.roleRef) ? obj.roleRef : {};
      if (ref.apiGroup !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
      if (!roleKinds.includes(ref.kind)) errs.push(notSupported('roleRef.kind', ref.kind ?? '', roleKinds));
      if (!ref.name) errs.push(required('roleRef.name'));
      ((obj as Obj).subjects ?? []).forEach((s: Obj, i: number) => {
        const at = `subjects[${i}]`;
        if (!s?.name) errs.push(required(`${at}.name`));
        switch (s?.kind) {
          case 'ServiceAccount':
            if (s.apiGroup) errs.push(notSupported(`${at}.apiGroup`, s.apiGroup, ['']));
            if (!namespaced && !s.namespace) errs.push(required(`${at}.namespace`));
            break;
          case 'User':
          case 'Group':
            if (s.apiGroup !== RBAC_GROUP) errs.push(notSupported(`${at}.apiGroup`, s.apiGroup ?? '', [RBAC_GROUP]));
            break;
          default:
            errs.push(notSupported(`${at}.kind`, s?.kind ?? '', ['ServiceAccount', 'User', 'Group']));
        }
      });
      if (old && !sameJson(old.roleRef, obj.roleRef)) {
        errs.push(invalid('roleRef', `rbac.RoleRef{APIGroup:${goQuote(ref.apiGroup ?? '')}, Kind:${goQuote(ref.kind ?? '')}, Name:${goQuote(ref.name ?? '')}}`, 'cannot change roleRef'));
      }
      return errs;
    },
  };
}

// ---- Go's %#v of the values the messages above show --------------------------------------------

function goStringMap(m: Record<string, string> | undefined): string {
  if (!isObject(m)) return 'map[string]string(nil)';
  return `map[string]string{${Object.keys(m).sort().map((k) => `${goQuote(k)}:${goQuote(String(m[k]))}`).join(', ')}}`;
}

function goStrings(list: unknown): string {
  return Array.isArray(list) ? `[]string{${list.map((v) => goQuote(String(v))).join(', ')}}` : '[]string(nil)';
}

function goLabelSelector(sel: Obj | undefined): string {
  if (!sel) return 'null';
  const exprs = Array.isArray(sel.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
      .map((e: Obj) => `v1.LabelSelectorRequirement{Key:${goQuote(String(e?.key ?? ''))}, Operator:${goQuote(String(e?.operator ?? ''))}, Values:${goStrings(e?.values)}}`)
      .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels)}, MatchExpressions:${exprs}}`;
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep equality of JSON values, whatever the order of object keys. */
function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown) =>
    JSON.stringify(v ?? null, (_k, x) => (isObject(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x));
  return canonical(a) === canonical(b);
}

const STRATEGIES: Record<string, Strategy> = {
  '/pods': pod,
  '/namespaces': namespace,
  '/nodes': withStatusSubresource,
  '/persistentvolumeclaims': pvc,
  '/persistentvolumes': pv,
  '/configmaps': configMap,
  '/secrets': secret,
  '/resourcequotas': resourceQuota,
  'storage.k8s.io/storageclasses': storageClass,
  'apiextensions.k8s.io/customresourcedefinitions': { tracksGeneration: true },
  'apps/daemonsets': daemonSet,
  'apps/deployments': deployment,
  'rbac.authorization.k8s.io/clusterroles': role(false),
  'rbac.authorization.k8s.io/roles': role(true),
  'rbac.authorization.k8s.io/clusterrolebindings': binding(false),
  'rbac.authorization.k8s.io/rolebindings': binding(true),
};

export function strategyFor(groupResource: string): Strategy {
  return STRATEGIES[groupResource] ?? {};
}
