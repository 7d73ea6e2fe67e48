// Decoder for Kubernetes protobuf request bodies (Content-Type: application/vnd.kubernetes.protobuf).
//
// Since client-go 0.32 the generated typed clients (gentype, "prefers protobuf") send built-in
// objects as protobuf unless the rest.Config sets a ContentType, and client-go falls back to JSON
// after a 415 only for CBOR. kubectl 1.32 and 1.33 therefore send protobuf for, among the kinds
// served here: `create namespace|configmap|serviceaccount|quota` (Namespace, ConfigMap, ServiceAccount, ResourceQuota),
// `debug node/N` and `debug POD --copy-to` (Pod), and the DeleteOptions of typed deletes
// (`drain --disable-eviction`, `debug --copy-to --replace`). `run`, `create -f`, `apply`,
// `delete`, `expose` (dynamic/unstructured clients), patches (label, cordon, ...) and evictions
// stay JSON; kubectl 1.27-1.31 send JSON throughout. The server stores JSON, so a message is
// decoded into exactly the object the JSON encoding of the same Go value gives.
//
// Wire format (apimachinery runtime/serializer/protobuf): the 4 bytes "k8s\0", then a
// runtime.Unknown {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}
// whose raw bytes are the object's own message. Field numbers below are those of the
// generated.proto files of k8s.io/api and k8s.io/apimachinery (v0.33). Only the messages the
// embedded server needs have tables; anything else is refused with a ProtobufError, so nothing
// is ever dropped silently (ObjectMeta.managedFields alone is skipped on purpose).

/** A body this decoder cannot turn into JSON. `unsupported`: a valid body of a kind or field without a table; otherwise malformed. */
export class ProtobufError extends Error {
  constructor(
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
    this.name = 'ProtobufError';
  }
}

/** The media type kubectl and client-go use for protobuf bodies. */
export const KUBE_PROTOBUF = 'application/vnd.kubernetes.protobuf';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

/** True when the body starts with the Kubernetes protobuf envelope prefix. */
export function isKubeProtobuf(body: Buffer): boolean {
  return body.length >= MAGIC.length && body.subarray(0, MAGIC.length).equals(MAGIC);
}

// ---------------------------------------------------------------------------------------------
// Message tables.
//
// One entry per field: `NUMBER jsonName[:type][*][!]`.
//   type   string (default) | bytes | int32 | int64 | bool | Time | Quantity | IntOrString
//          | map (string values) | map<bytes> | map<Quantity> | skip | a message name from MESSAGES
//          | ^Message: an embedded (`json:",inline"`) message whose fields join the parent's.
//   *      repeated
//   !      keep the value even when it is zero: pointer fields (*int64, *bool, *string), which the
//          Go marshaller writes only when set, and fields without `omitempty` in their JSON tag.
//          Without it a zero scalar is dropped, as `omitempty` drops it from JSON.
// Messages present on the wire always appear in the JSON (Go's omitempty never omits a struct),
// a metav1.Time message with no fields is the zero time and becomes null.

const MESSAGES: Record<string, string> = {
  // k8s.io/apimachinery/pkg/apis/meta/v1
  ObjectMeta:
    '1 name; 2 generateName; 3 namespace; 4 selfLink; 5 uid; 6 resourceVersion; 7 generation:int64; ' +
    '8 creationTimestamp:Time; 9 deletionTimestamp:Time; 10 deletionGracePeriodSeconds:int64!; 11 labels:map; ' +
    '12 annotations:map; 13 ownerReferences:OwnerReference*; 14 finalizers*; 17 managedFields:skip',
  OwnerReference: '1 kind!; 3 name!; 4 uid!; 5 apiVersion!; 6 controller:bool!; 7 blockOwnerDeletion:bool!',
  DeleteOptions:
    '1 gracePeriodSeconds:int64!; 2 preconditions:Preconditions; 3 orphanDependents:bool!; 4 propagationPolicy!; ' +
    '5 dryRun*; 6 ignoreStoreReadErrorWithClusterBreakingPotential:bool!',
  Preconditions: '1 uid!; 2 resourceVersion!',
  LabelSelector: '1 matchLabels:map; 2 matchExpressions:LabelSelectorRequirement*',
  LabelSelectorRequirement: '1 key!; 2 operator!; 3 values*',

  // k8s.io/api/core/v1: the served kinds kubectl sends as protobuf, plus Binding
  Namespace: '1 metadata:ObjectMeta; 2 spec:NamespaceSpec; 3 status:NamespaceStatus',
  NamespaceSpec: '1 finalizers*',
  NamespaceStatus: '1 phase; 2 conditions:NamespaceCondition*',
  NamespaceCondition: '1 type!; 2 status!; 4 lastTransitionTime:Time; 5 reason; 6 message',
  ConfigMap: '1 metadata:ObjectMeta; 2 data:map; 3 binaryData:map<bytes>; 4 immutable:bool!',
  ServiceAccount:
    '1 metadata:ObjectMeta; 2 secrets:ObjectReference*; 3 imagePullSecrets:LocalObjectReference*; ' +
    '4 automountServiceAccountToken:bool!',
  ResourceQuota: '1 metadata:ObjectMeta; 2 spec:ResourceQuotaSpec; 3 status:ResourceQuotaStatus',
  ResourceQuotaSpec: '1 hard:map<Quantity>; 2 scopes*; 3 scopeSelector:ScopeSelector',
  ScopeSelector: '1 matchExpressions:ScopedResourceSelectorRequirement*',
  ScopedResourceSelectorRequirement: '1 scopeName!; 2 operator!; 3 values*',
  ResourceQuotaStatus: '1 hard:map<Quantity>; 2 used:map<Quantity>',
  Binding: '1 metadata:ObjectMeta; 2 target:ObjectReference',
  ObjectReference: '1 kind; 2 namespace; 3 name; 4 uid; 5 apiVersion; 6 resourceVersion; 7 fieldPath',
  LocalObjectReference: '1 name',

  Pod: '1 metadata:ObjectMeta; 2 spec:PodSpec; 3 status:PodStatus',
  PodSpec:
    '1 volumes:Volume*; 2 containers:Container*; 3 restartPolicy; 4 terminationGracePeriodSeconds:int64!; ' +
    '5 activeDeadlineSeconds:int64!; 6 dnsPolicy; 7 nodeSelector:map; 8 serviceAccountName; 9 serviceAccount; ' +
    '10 nodeName; 11 hostNetwork:bool; 12 hostPID:bool; 13 hostIPC:bool; 14 securityContext:PodSecurityContext; ' +
    '15 imagePullSecrets:LocalObjectReference*; 16 hostname; 17 subdomain; 18 affinity:Affinity; 19 schedulerName; ' +
    '20 initContainers:Container*; 21 automountServiceAccountToken:bool!; 22 tolerations:Toleration*; ' +
    '23 hostAliases:HostAlias*; 24 priorityClassName; 25 priority:int32!; 26 dnsConfig:PodDNSConfig; ' +
    '27 shareProcessNamespace:bool!; 28 readinessGates:PodReadinessGate*; 29 runtimeClassName!; ' +
    '30 enableServiceLinks:bool!; 31 preemptionPolicy!; 32 overhead:map<Quantity>; ' +
    '33 topologySpreadConstraints:TopologySpreadConstraint*; 34 ephemeralContainers:EphemeralContainer*; ' +
    '35 setHostnameAsFQDN:bool!; 36 os:PodOS; 37 hostUsers:bool!; 38 schedulingGates:PodSchedulingGate*; ' +
    '39 resourceClaims:PodResourceClaim*; 40 resources:ResourceRequirements',
  Container:
    '1 name!; 2 image; 3 command*; 4 args*; 5 workingDir; 6 ports:ContainerPort*; 7 env:EnvVar*; ' +
    '8 resources:ResourceRequirements; 9 volumeMounts:VolumeMount*; 10 livenessProbe:Probe; 11 readinessProbe:Probe; ' +
    '12 lifecycle:Lifecycle; 13 terminationMessagePath; 14 imagePullPolicy; 15 securityContext:SecurityContext; ' +
    '16 stdin:bool; 17 stdinOnce:bool; 18 tty:bool; 19 envFrom:EnvFromSource*; 20 terminationMessagePolicy; ' +
    '21 volumeDevices:VolumeDevice*; 22 startupProbe:Probe; 23 resizePolicy:ContainerResizePolicy*; 24 restartPolicy!',
  // EphemeralContainerCommon has Container's field numbers.
  EphemeralContainer: '1 ^Container; 2 targetContainerName',
  ContainerPort: '1 name; 2 hostPort:int32; 3 containerPort:int32!; 4 protocol; 5 hostIP',
  EnvVar: '1 name!; 2 value; 3 valueFrom:EnvVarSource',
  EnvVarSource:
    '1 fieldRef:ObjectFieldSelector; 2 resourceFieldRef:ResourceFieldSelector; 3 configMapKeyRef:KeySelector; ' +
    '4 secretKeyRef:KeySelector',
  // ConfigMapKeySelector and SecretKeySelector.
  KeySelector: '1 ^LocalObjectReference; 2 key!; 3 optional:bool!',
  ObjectFieldSelector: '1 apiVersion; 2 fieldPath!',
  ResourceFieldSelector: '1 containerName; 2 resource!; 3 divisor:Quantity',
  EnvFromSource: '1 prefix; 2 configMapRef:EnvSource; 3 secretRef:EnvSource',
  // ConfigMapEnvSource and SecretEnvSource.
  EnvSource: '1 ^LocalObjectReference; 2 optional:bool!',
  ResourceRequirements: '1 limits:map<Quantity>; 2 requests:map<Quantity>; 3 claims:ResourceClaim*',
  ResourceClaim: '1 name!; 2 request',
  ContainerResizePolicy: '1 resourceName!; 2 restartPolicy!',
  VolumeMount: '1 name!; 2 readOnly:bool; 3 mountPath!; 4 subPath; 5 mountPropagation!; 6 subPathExpr; 7 recursiveReadOnly!',
  VolumeDevice: '1 name!; 2 devicePath!',
  Probe:
    '1 ^ProbeHandler; 2 initialDelaySeconds:int32; 3 timeoutSeconds:int32; 4 periodSeconds:int32; ' +
    '5 successThreshold:int32; 6 failureThreshold:int32; 7 terminationGracePeriodSeconds:int64!',
  ProbeHandler: '1 exec:ExecAction; 2 httpGet:HTTPGetAction; 3 tcpSocket:TCPSocketAction; 4 grpc:GRPCAction',
  ExecAction: '1 command*',
  HTTPGetAction: '1 path; 2 port:IntOrString; 3 host; 4 scheme; 5 httpHeaders:HTTPHeader*',
  HTTPHeader: '1 name!; 2 value!',
  TCPSocketAction: '1 port:IntOrString; 2 host',
  GRPCAction: '1 port:int32!; 2 service!',
  Lifecycle: '1 postStart:LifecycleHandler; 2 preStop:LifecycleHandler; 3 stopSignal!',
  LifecycleHandler: '1 exec:ExecAction; 2 httpGet:HTTPGetAction; 3 tcpSocket:TCPSocketAction; 4 sleep:SleepAction',
  SleepAction: '1 seconds:int64!',
  SecurityContext:
    '1 capabilities:Capabilities; 2 privileged:bool!; 3 seLinuxOptions:SELinuxOptions; 4 runAsUser:int64!; ' +
    '5 runAsNonRoot:bool!; 6 readOnlyRootFilesystem:bool!; 7 allowPrivilegeEscalation:bool!; 8 runAsGroup:int64!; ' +
    '9 procMount!; 11 seccompProfile:SeccompProfile; 12 appArmorProfile:AppArmorProfile',
  PodSecurityContext:
    '1 seLinuxOptions:SELinuxOptions; 2 runAsUser:int64!; 3 runAsNonRoot:bool!; 4 supplementalGroups:int64*; ' +
    '5 fsGroup:int64!; 6 runAsGroup:int64!; 7 sysctls:Sysctl*; 9 fsGroupChangePolicy!; ' +
    '10 seccompProfile:SeccompProfile; 11 appArmorProfile:AppArmorProfile; 12 supplementalGroupsPolicy!; ' +
    '13 seLinuxChangePolicy!',
  Capabilities: '1 add*; 2 drop*',
  SELinuxOptions: '1 user; 2 role; 3 type; 4 level',
  SeccompProfile: '1 type!; 2 localhostProfile!',
  AppArmorProfile: '1 type!; 2 localhostProfile!',
  Sysctl: '1 name!; 2 value!',
  Toleration: '1 key; 2 operator; 3 value; 4 effect; 5 tolerationSeconds:int64!',
  HostAlias: '1 ip!; 2 hostnames*',
  PodDNSConfig: '1 nameservers*; 2 searches*; 3 options:PodDNSConfigOption*',
  PodDNSConfigOption: '1 name; 2 value!',
  PodReadinessGate: '1 conditionType!',
  PodSchedulingGate: '1 name!',
  PodOS: '1 name!',
  PodResourceClaim: '1 name!; 3 resourceClaimName!; 4 resourceClaimTemplateName!',
  Affinity: '1 nodeAffinity:NodeAffinity; 2 podAffinity:PodAffinity; 3 podAntiAffinity:PodAffinity',
  NodeAffinity:
    '1 requiredDuringSchedulingIgnoredDuringExecution:NodeSelector; ' +
    '2 preferredDuringSchedulingIgnoredDuringExecution:PreferredSchedulingTerm*',
  NodeSelector: '1 nodeSelectorTerms:NodeSelectorTerm*',
  NodeSelectorTerm: '1 matchExpressions:NodeSelectorRequirement*; 2 matchFields:NodeSelectorRequirement*',
  NodeSelectorRequirement: '1 key!; 2 operator!; 3 values*',
  PreferredSchedulingTerm: '1 weight:int32!; 2 preference:NodeSelectorTerm',
  // PodAffinity and PodAntiAffinity.
  PodAffinity:
    '1 requiredDuringSchedulingIgnoredDuringExecution:PodAffinityTerm*; ' +
    '2 preferredDuringSchedulingIgnoredDuringExecution:WeightedPodAffinityTerm*',
  PodAffinityTerm:
    '1 labelSelector:LabelSelector; 2 namespaces*; 3 topologyKey!; 4 namespaceSelector:LabelSelector; ' +
    '5 matchLabelKeys*; 6 mismatchLabelKeys*',
  WeightedPodAffinityTerm: '1 weight:int32!; 2 podAffinityTerm:PodAffinityTerm',
  TopologySpreadConstraint:
    '1 maxSkew:int32!; 2 topologyKey!; 3 whenUnsatisfiable!; 4 labelSelector:LabelSelector; 5 minDomains:int32!; ' +
    '6 nodeAffinityPolicy!; 7 nodeTaintsPolicy!; 8 matchLabelKeys*',
  Volume: '1 name!; 2 ^VolumeSource',
  VolumeSource:
    '1 hostPath:HostPathVolumeSource; 2 emptyDir:EmptyDirVolumeSource; 6 secret:SecretVolumeSource; ' +
    '10 persistentVolumeClaim:PersistentVolumeClaimVolumeSource; 16 downwardAPI:DownwardAPIVolumeSource; ' +
    '19 configMap:ConfigMapVolumeSource; 26 projected:ProjectedVolumeSource; 28 csi:CSIVolumeSource; ' +
    '30 image:ImageVolumeSource',
  HostPathVolumeSource: '1 path!; 2 type!',
  EmptyDirVolumeSource: '1 medium; 2 sizeLimit:Quantity',
  SecretVolumeSource: '1 secretName; 2 items:KeyToPath*; 3 defaultMode:int32!; 4 optional:bool!',
  ConfigMapVolumeSource: '1 ^LocalObjectReference; 2 items:KeyToPath*; 3 defaultMode:int32!; 4 optional:bool!',
  KeyToPath: '1 key!; 2 path!; 3 mode:int32!',
  PersistentVolumeClaimVolumeSource: '1 claimName!; 2 readOnly:bool',
  DownwardAPIVolumeSource: '1 items:DownwardAPIVolumeFile*; 2 defaultMode:int32!',
  DownwardAPIVolumeFile:
    '1 path!; 2 fieldRef:ObjectFieldSelector; 3 resourceFieldRef:ResourceFieldSelector; 4 mode:int32!',
  ProjectedVolumeSource: '1 sources:VolumeProjection*; 2 defaultMode:int32!',
  VolumeProjection:
    '1 secret:KeyProjection; 2 downwardAPI:DownwardAPIProjection; 3 configMap:KeyProjection; ' +
    '4 serviceAccountToken:ServiceAccountTokenProjection',
  // SecretProjection and ConfigMapProjection.
  KeyProjection: '1 ^LocalObjectReference; 2 items:KeyToPath*; 4 optional:bool!',
  DownwardAPIProjection: '1 items:DownwardAPIVolumeFile*',
  ServiceAccountTokenProjection: '1 audience; 2 expirationSeconds:int64!; 3 path!',
  CSIVolumeSource:
    '1 driver!; 2 readOnly:bool!; 3 fsType!; 4 volumeAttributes:map; 5 nodePublishSecretRef:LocalObjectReference',
  ImageVolumeSource: '1 reference; 2 pullPolicy',
  PodStatus:
    '1 phase; 2 conditions:PodCondition*; 3 message; 4 reason; 5 hostIP; 6 podIP; 7 startTime:Time; 9 qosClass; ' +
    '11 nominatedNodeName; 12 podIPs:PodIP*; 14 resize; 16 hostIPs:PodIP*; 17 observedGeneration:int64',
  PodCondition:
    '1 type!; 2 status!; 3 lastProbeTime:Time; 4 lastTransitionTime:Time; 5 reason; 6 message; 7 observedGeneration:int64',
  // PodIP and HostIP.
  PodIP: '1 ip!',

  // k8s.io/api/policy/v1 (v1beta1 has the same numbers)
  Eviction: '1 metadata:ObjectMeta; 2 deleteOptions:DeleteOptions',
};

/** Top-level kinds: `apiVersion/kind` to the message that holds them. DeleteOptions is accepted under any apiVersion (it is registered in every group version). */
const KINDS: Record<string, string> = {
  'v1/Namespace': 'Namespace',
  'v1/ConfigMap': 'ConfigMap',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/ResourceQuota': 'ResourceQuota',
  'v1/Pod': 'Pod',
  'v1/Binding': 'Binding',
  'policy/v1/Eviction': 'Eviction',
  'policy/v1beta1/Eviction': 'Eviction',
};

type ScalarType = 'string' | 'bytes' | 'int32' | 'int64' | 'bool' | 'Time' | 'Quantity' | 'IntOrString';
type MapType = 'map' | 'map<bytes>' | 'map<Quantity>';

interface Field {
  name: string;
  /** A ScalarType, a MapType, 'skip', or a message name. */
  type: string;
  repeated: boolean;
  keep: boolean;
  inline: boolean;
}

const SCALARS = new Set<string>(['string', 'bytes', 'int32', 'int64', 'bool', 'Time', 'Quantity', 'IntOrString'] satisfies ScalarType[]);
const MAPS = new Set<string>(['map', 'map<bytes>', 'map<Quantity>'] satisfies MapType[]);

function parseTables(): Map<string, Map<number, Field>> {
  const tables = new Map<string, Map<number, Field>>();
  for (const [message, spec] of Object.entries(MESSAGES)) {
    const fields = new Map<number, Field>();
    for (const entry of spec.split(';')) {
      const m = /^\s*(\d+)\s+(\^?)([A-Za-z0-9]+)(?::([A-Za-z0-9<>]+))?(\*?)(!?)\s*$/.exec(entry);
      if (!m) throw new Error(`protobuf table ${message}: cannot parse ${JSON.stringify(entry)}`);
      const [, num, caret, name, type, star, bang] = m;
      const inline = caret === '^';
      const field: Field = { name, type: inline ? name : (type ?? 'string'), repeated: star === '*', keep: bang === '!', inline };
      if (fields.has(Number(num))) throw new Error(`protobuf table ${message}: field ${num} twice`);
      fields.set(Number(num), field);
    }
    tables.set(message, fields);
  }
  // Every message a field names must have a table.
  for (const [message, fields] of tables) {
    for (const f of fields.values()) {
      if (!SCALARS.has(f.type) && !MAPS.has(f.type) && f.type !== 'skip' && !tables.has(f.type)) {
        throw new Error(`protobuf table ${message}.${f.name}: no table for ${f.type}`);
      }
    }
  }
  return tables;
}

const TABLES = parseTables();

// ---------------------------------------------------------------------------------------------
// Wire reading.

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
    readonly where: () => string,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  private truncated(): never {
    throw new ProtobufError(`the protobuf body is truncated or corrupt${this.where()}`);
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) this.truncated();
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw new ProtobufError(`the protobuf body has an over-long varint${this.where()}`);
  }

  /** A length-delimited payload: its [start, end). */
  span(): [number, number] {
    const len = this.varint();
    if (len > BigInt(this.end - this.pos)) this.truncated();
    const start = this.pos;
    this.pos += Number(len);
    return [start, this.pos];
  }

  skip(wire: number): void {
    switch (wire) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        return this.advance(8);
      case LEN:
        this.span();
        return;
      case FIXED32:
        return this.advance(4);
    }
    throw new ProtobufError(`the protobuf body uses wire type ${wire}, which Kubernetes messages never use${this.where()}`);
  }

  private advance(n: number): void {
    if (this.end - this.pos < n) this.truncated();
    this.pos += n;
  }

  tag(): { num: number; wire: number } {
    const key = this.varint();
    const num = Number(key >> 3n);
    if (num === 0 || num > 536870911) throw new ProtobufError(`the protobuf body has an invalid field number${this.where()}`);
    return { num, wire: Number(key & 7n) };
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding.

interface Context {
  /** The kind being decoded, for messages. */
  kind: string;
}

function formatTime(seconds: bigint): string {
  const ms = Number(seconds) * 1000;
  const d = new Date(ms);
  if (!Number.isFinite(ms) || Number.isNaN(d.getTime())) throw new ProtobufError(`time ${seconds} is out of range`);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function at(path: string): string {
  return path ? ` at ${path}` : '';
}

function unsupportedField(ctx: Context, message: string, num: number, path: string): never {
  throw new ProtobufError(
    `cannot decode protobuf ${ctx.kind}: field ${num} of ${message}${at(path)} is not supported by the embedded API server; send the object as JSON (Content-Type: application/json)`,
    true,
  );
}

function wrongWire(ctx: Context, message: string, field: Field, wire: number, path: string): never {
  throw new ProtobufError(`cannot decode protobuf ${ctx.kind}: ${message}.${field.name}${at(path)} has wire type ${wire}, which does not match its type ${field.type}`);
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

/** Decodes one message of the named table into `out` (which inline fields share with their parent). */
function decodeMessage(buf: Buffer, start: number, end: number, message: string, path: string, ctx: Context, out: Record<string, unknown>): Record<string, unknown> {
  const table = TABLES.get(message)!;
  const r = new Reader(buf, start, end, () => ` in ${ctx.kind}${at(path)}`);
  while (!r.done) {
    const { num, wire } = r.tag();
    const field = table.get(num);
    if (!field) unsupportedField(ctx, message, num, path);
    if (field.type === 'skip') {
      r.skip(wire);
      continue;
    }
    const fieldPath = field.inline ? path : path ? `${path}.${field.name}` : field.name;
    if (field.inline) {
      if (wire !== LEN) wrongWire(ctx, message, field, wire, path);
      const [s, e] = r.span();
      decodeMessage(buf, s, e, field.type, path, ctx, out);
      continue;
    }
    if (MAPS.has(field.type)) {
      if (wire !== LEN) wrongWire(ctx, message, field, wire, fieldPath);
      const [s, e] = r.span();
      const [k, v] = decodeMapEntry(buf, s, e, field.type as MapType, fieldPath, ctx);
      const map = (out[field.name] ??= {}) as Record<string, unknown>;
      // An own property even for a key like "__proto__", as JSON.parse makes it.
      Object.defineProperty(map, k, { value: v, enumerable: true, writable: true, configurable: true });
      continue;
    }
    if (field.repeated) {
      const list = (out[field.name] ??= []) as unknown[];
      const itemPath = `${fieldPath}[${list.length}]`;
      if (wire === LEN && (field.type === 'int32' || field.type === 'int64' || field.type === 'bool')) {
        // Packed encoding of a repeated number.
        const [s, e] = r.span();
        const packed = new Reader(buf, s, e, () => ` in ${ctx.kind}${at(itemPath)}`);
        while (!packed.done) list.push(numberOf(packed.varint(), field.type));
        continue;
      }
      list.push(decodeValue(r, wire, field, message, itemPath, ctx));
      continue;
    }
    const value = decodeValue(r, wire, field, message, fieldPath, ctx);
    if (!field.keep && SCALARS.has(field.type) && field.type !== 'Time' && field.type !== 'Quantity' && field.type !== 'IntOrString' && isZero(value)) {
      delete out[field.name]; // a later zero occurrence overrides an earlier value, as in proto
      continue;
    }
    out[field.name] = value;
  }
  return out;
}

function numberOf(v: bigint, type: string): number | boolean {
  if (type === 'bool') return v !== 0n;
  if (type === 'int32') return Number(BigInt.asIntN(32, v));
  return Number(BigInt.asIntN(64, v));
}

function decodeValue(r: Reader, wire: number, field: Field, message: string, path: string, ctx: Context): unknown {
  switch (field.type) {
    case 'int32':
    case 'int64':
    case 'bool':
      if (wire !== VARINT) wrongWire(ctx, message, field, wire, path);
      return numberOf(r.varint(), field.type);
  }
  if (wire !== LEN) wrongWire(ctx, message, field, wire, path);
  const [s, e] = r.span();
  switch (field.type) {
    case 'string':
      return r.buf.toString('utf8', s, e);
    case 'bytes':
      return r.buf.subarray(s, e).toString('base64');
    case 'Time':
      return decodeTime(r.buf, s, e, path, ctx);
    case 'Quantity':
      return decodeQuantity(r.buf, s, e, path, ctx);
    case 'IntOrString':
      return decodeIntOrString(r.buf, s, e, path, ctx);
  }
  return decodeMessage(r.buf, s, e, field.type, path, ctx, {});
}

/** metav1.Time: {1 seconds, 2 nanos}; JSON has whole seconds in RFC 3339, and the zero time (no fields) is null. */
function decodeTime(buf: Buffer, start: number, end: number, path: string, ctx: Context): string | null {
  if (start === end) return null;
  const r = new Reader(buf, start, end, () => ` in ${ctx.kind}${at(path)}`);
  let seconds = 0n;
  while (!r.done) {
    const { num, wire } = r.tag();
    if (num === 1 && wire === VARINT) seconds = BigInt.asIntN(64, r.varint());
    else if (num === 2 && wire === VARINT) r.varint(); // nanos: the JSON form (and the Go decoder) drop them
    else unsupportedField(ctx, 'Time', num, path);
  }
  return formatTime(seconds);
}

/** resource.Quantity: {1 string}. */
function decodeQuantity(buf: Buffer, start: number, end: number, path: string, ctx: Context): string {
  const r = new Reader(buf, start, end, () => ` in ${ctx.kind}${at(path)}`);
  let value = '';
  while (!r.done) {
    const { num, wire } = r.tag();
    if (num !== 1 || wire !== LEN) unsupportedField(ctx, 'Quantity', num, path);
    const [s, e] = r.span();
    value = buf.toString('utf8', s, e);
  }
  return value;
}

/** intstr.IntOrString: {1 type (0 int, 1 string), 2 intVal, 3 strVal}. */
function decodeIntOrString(buf: Buffer, start: number, end: number, path: string, ctx: Context): number | string {
  const r = new Reader(buf, start, end, () => ` in ${ctx.kind}${at(path)}`);
  let type = 0n;
  let intVal = 0;
  let strVal = '';
  while (!r.done) {
    const { num, wire } = r.tag();
    if (num === 1 && wire === VARINT) type = r.varint();
    else if (num === 2 && wire === VARINT) intVal = Number(BigInt.asIntN(32, r.varint()));
    else if (num === 3 && wire === LEN) {
      const [s, e] = r.span();
      strVal = buf.toString('utf8', s, e);
    } else unsupportedField(ctx, 'IntOrString', num, path);
  }
  return type === 1n ? strVal : intVal;
}

/** A map entry: {1 key (string), 2 value}. */
function decodeMapEntry(buf: Buffer, start: number, end: number, type: MapType, path: string, ctx: Context): [string, unknown] {
  const r = new Reader(buf, start, end, () => ` in ${ctx.kind}${at(path)}`);
  let key = '';
  let value: unknown = type === 'map' ? '' : type === 'map<bytes>' ? '' : '0';
  while (!r.done) {
    const { num, wire } = r.tag();
    if (wire !== LEN || (num !== 1 && num !== 2)) unsupportedField(ctx, `${type} entry`, num, path);
    const [s, e] = r.span();
    if (num === 1) key = buf.toString('utf8', s, e);
    else if (type === 'map') value = buf.toString('utf8', s, e);
    else if (type === 'map<bytes>') value = buf.subarray(s, e).toString('base64');
    else value = decodeQuantity(buf, s, e, `${path}[${JSON.stringify(key)}]`, ctx);
  }
  return [key, value];
}

/** The envelope's runtime.Unknown. */
function decodeEnvelope(body: Buffer): { apiVersion: string; kind: string; raw: [number, number]; contentEncoding: string; contentType: string } {
  const r = new Reader(body, MAGIC.length, body.length, () => ' in the runtime.Unknown envelope');
  let apiVersion = '';
  let kind = '';
  let raw: [number, number] = [0, 0];
  let contentEncoding = '';
  let contentType = '';
  while (!r.done) {
    const { num, wire } = r.tag();
    if (wire !== LEN) {
      r.skip(wire);
      continue;
    }
    const [s, e] = r.span();
    if (num === 1) {
      const t = new Reader(body, s, e, () => ' in the envelope typeMeta');
      while (!t.done) {
        const tag = t.tag();
        if (tag.wire !== LEN) {
          t.skip(tag.wire);
          continue;
        }
        const [ts, te] = t.span();
        if (tag.num === 1) apiVersion = body.toString('utf8', ts, te);
        else if (tag.num === 2) kind = body.toString('utf8', ts, te);
      }
    } else if (num === 2) raw = [s, e];
    else if (num === 3) contentEncoding = body.toString('utf8', s, e);
    else if (num === 4) contentType = body.toString('utf8', s, e);
  }
  return { apiVersion, kind, raw, contentEncoding, contentType };
}

/** Decodes a Kubernetes protobuf request body into the JSON object the server stores. Throws ProtobufError (message names the kind and what is unsupported) for kinds it has no table for. */
export function decodeKubeProtobuf(body: Buffer): Record<string, unknown> {
  if (!isKubeProtobuf(body)) throw new ProtobufError('the body is not Kubernetes protobuf: it does not start with the "k8s\\0" prefix');
  const env = decodeEnvelope(body);
  if (!env.kind || !env.apiVersion) throw new ProtobufError('the protobuf envelope names no apiVersion and kind');
  const name = `${env.apiVersion} ${env.kind}`;
  if (env.contentEncoding) {
    throw new ProtobufError(`cannot decode protobuf ${name}: content encoding ${JSON.stringify(env.contentEncoding)} is not supported; send the object as JSON (Content-Type: application/json)`, true);
  }
  if (env.contentType && env.contentType !== KUBE_PROTOBUF) {
    throw new ProtobufError(`cannot decode protobuf ${name}: embedded content type ${JSON.stringify(env.contentType)} is not supported; send the object as JSON (Content-Type: application/json)`, true);
  }
  const message = env.kind === 'DeleteOptions' ? 'DeleteOptions' : KINDS[`${env.apiVersion}/${env.kind}`];
  if (!message) {
    const known = [...new Set([...Object.keys(KINDS).map((k) => k.replace(/^(.*)\/([^/]+)$/, '$1 $2')), 'v1 DeleteOptions'])].sort().join(', ');
    throw new ProtobufError(
      `cannot decode protobuf ${name}: the embedded API server decodes protobuf bodies only for ${known}; send the ${env.kind} as JSON (Content-Type: application/json)`,
      true,
    );
  }
  const out: Record<string, unknown> = { kind: env.kind, apiVersion: env.apiVersion };
  return decodeMessage(body, env.raw[0], env.raw[1], message, '', { kind: env.kind }, out);
}
