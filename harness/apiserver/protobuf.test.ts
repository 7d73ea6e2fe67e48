// The protobuf request-body decoder, on bodies captured from kubectl 1.33.1 runs against the
// embedded server (through a logging proxy), plus a few built with `protoc --encode` from the
// k8s.io/api v0.33 generated.proto files for kinds kubectl never sends as protobuf. Each
// expectation is the JSON kubectl 1.31 sends for the same command (it still sends JSON).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCluster, type EmbeddedCluster } from '../cluster/embedded.ts';
import { decodeKubeProtobuf, isKubeProtobuf, ProtobufError } from './protobuf.ts';

const hex = (s: string) => Buffer.from(s, 'hex');

/** Captured from kubectl 1.33.1 (`k8s\0` + runtime.Unknown). */
const CAPTURED = {
  /** kubectl create namespace foo */
  namespace: hex('6b3873000a0f0a02763112094e616d657370616365121b0a130a03666f6f12001a0022002a0032003800420012001a020a001a002200'),
  /** kubectl create configmap cm133 --from-literal=a=b */
  configMap: hex('6b3873000a0f0a0276311209436f6e6669674d6170121f0a150a05636d31333312001a0022002a0032003800420012060a01611201621a002200'),
  /** kubectl create configmap bx --from-file=blob=bin.dat --from-literal=k=v (bin.dat: ff fe 00 01 "bin") */
  binaryConfigMap: hex(
    '6b3873000a0f0a0276311209436f6e6669674d6170122d0a120a02627812001a0022002a0032003800420012060a016b1201761a0f0a04626c6f621207fffe000162696e1a002200',
  ),
  /** kubectl create serviceaccount sa1 */
  serviceAccount: hex('6b3873000a140a027631120e536572766963654163636f756e7412150a130a0373613112001a0022002a003200380042001a002200'),
  /** kubectl drain n1 --disable-eviction (no grace period): the DeleteOptions of DELETE pods/NAME */
  deleteOptions: hex('6b3873000a130a027631120d44656c6574654f7074696f6e7312001a002200'),
  /** kubectl drain n1 --disable-eviction --grace-period=7 */
  deleteOptionsGrace7: hex('6b3873000a130a027631120d44656c6574654f7074696f6e73120208071a002200'),
  /** kubectl debug p --copy-to=p2 --replace: deletes the original with NewDeleteOptions(0) */
  deleteOptionsGrace0: hex('6b3873000a130a027631120d44656c6574654f7074696f6e73120208001a002200'),
  /** kubectl debug node/n1 --image=busybox */
  nodeDebugPod: hex(
    '6b3873000a090a0276311203506f6412cf010a260a166e6f64652d64656275676765722d6e312d627134787812001a0022002a00320038004200128f010a120a09686f73742d726f6f7412050a030a012f12450a086465627567676572120762757379626f782a0042004a180a09686f73742d726f6f7410001a052f686f7374220032006a007200800100880100900100a2010446696c651a054e65766572320042004a0052026e315801600168018201008a01009a0100b2010e0a0012064578697374731a002200c201001a130a001a0022002a0032004a005a0072008801001a002200',
  ),
  /** kubectl debug p133 --image=busybox --copy-to=pc133 (p133 made by `kubectl run p133 --image=busybox`, defaulted by the server) */
  copiedPod: hex(
    '6b3873000a090a0276311203506f64128e030a1c0a05706331333312001a0764656661756c7422002a0032003800420012d80212410a0470313333120762757379626f782a0042006a142f6465762f7465726d696e6174696f6e2d6c6f677206416c77617973800100880100900100a2010446696c6512310a0e64656275676765722d6370396c66120762757379626f782a0042006a007200800100880100900100a2010446696c651a06416c77617973201e320c436c75737465724669727374420764656661756c744a0764656661756c74520058006000680072008201008a01009a011164656661756c742d7363686564756c6572b201360a1c6e6f64652e6b756265726e657465732e696f2f6e6f742d726561647912064578697374731a0022094e6f4578656375746528ac02b201380a1e6e6f64652e6b756265726e657465732e696f2f756e726561636861626c6512064578697374731a0022094e6f4578656375746528ac02c20100c80100f00101fa0114507265656d70744c6f7765725072696f726974791a130a001a0022002a0032004a005a0072008801001a002200',
  ),
  /**
   * kubectl debug rich --copy-to=rich2 --image=busybox --container=dbg, where `rich` was created
   * from JSON with most PodSpec features (volumes of five kinds, probes, env sources, affinity,
   * topology spread, security contexts, ...). kubectl copies the spec, drops labels and nodeName.
   */
  richPod: Buffer.from(
    'azhzAAoJCgJ2MRIDUG9kEs4KCisKBXJpY2gyEgAaB2RlZmF1bHQiACoAMgA4AEIAYg0KBG5vdGUSBWhlbGxvEokKChIKBGRhdGES' +
    'ClIICgRwdmMxEAAKFgoHc2NyYXRjaBILEgkKABIFCgMxR2kKIgoDY2ZnEhuaARgKBAoCYngSDQoBaxIFay50eHQYpAMYpAIKPwoD' +
    'dG9rEjjSATUKDiIMCgAQkBwaBXRva2VuCiMSIQofCgZsYWJlbHMSFQoCdjESD21ldGFkYXRhLmxhYmVscxLkAwoEbWFpbhIMYnVz' +
    'eWJveDoxLjM2GgcvYmluL3NoIgItYyIKc2xlZXAgMzYwMCoFL3dvcmsyEgoEaHR0cBAAGJA/IgNUQ1AqADIKCgAQABgAIgAqADoG' +
    'CgFBEgExOgkKBUVNUFRZEgA6HQoETk9ERRIAGhMKEQoAEg1zcGVjLm5vZGVOYW1lOh8KA0NQVRIAGhYSFAoAEgpsaW1pdHMuY3B1' +
    'GgQKAjFtOhUKAkNNEgAaDRoLCgQKAmJ4EgFrGAFCQwoNCgNjcHUSBgoENTAwbQoRCgZtZW1vcnkSBwoFMTI4TWkSDQoDY3B1EgYK' +
    'BDI1MG0SEAoGbWVtb3J5EgYKBDY0TWlKEwoEZGF0YRAAGgUvZGF0YSIAMgBKFgoDY2ZnEAEaBC9jZmciBWsudHh0MgBSKAocEhoK' +
    'CC9oZWFsdGh6EgoIARAAGgRodHRwGgAiABADGAAgCigAMABaGQoNGgsKBwgAEJA/GgASABAAGAAgACgAMABiBhIEIgIIAmoUL2Rl' +
    'di90ZXJtaW5hdGlvbi1sb2dyDElmTm90UHJlc2VudHoLCgUSA0FMTDABOACAAQGIAQCQAQGaAQwKAlBfEgYKBAoCYniiAQRGaWxl' +
    'sgEUCggKBgoEdHJ1ZRAAGAAgACgAMAASJgoDZGJnEgdidXN5Ym94KgBCAGoAcgCAAQCIAQCQAQCiAQRGaWxlGglPbkZhaWx1cmUg' +
    'BSjYBDIMQ2x1c3RlckZpcnN0OhwKFmt1YmVybmV0ZXMuaW8vaG9zdG5hbWUSAm4xQgdkZWZhdWx0SgdkZWZhdWx0UgBYAGAAaABy' +
    'HhDoBxgBIAUgBijQD1IQCg5SdW50aW1lRGVmYXVsdIIBAWiKAQFzkgFqCjkKIQofCh0KEGt1YmVybmV0ZXMuaW8vb3MSAkluGgVs' +
    'aW51eBIUCAoSEAoOCgR6b25lEgZFeGlzdHMaLRIrCDISJwoNCgsKA2FwcBIEcmljaBoWa3ViZXJuZXRlcy5pby9ob3N0bmFtZZoB' +
    'EWRlZmF1bHQtc2NoZWR1bGVyogFPCgRpbml0EgdidXN5Ym94GgJzaBoCLWMiBHRydWUqAEIAahQvZGV2L3Rlcm1pbmF0aW9uLWxv' +
    'Z3IGQWx3YXlzgAEAiAEAkAEAogEERmlsZagBALIBGQoBaxIFRXF1YWwaAXYiCk5vU2NoZWR1bGWyATYKHG5vZGUua3ViZXJuZXRl' +
    'cy5pby9ub3QtcmVhZHkSBkV4aXN0cxoAIglOb0V4ZWN1dGUorAKyATgKHm5vZGUua3ViZXJuZXRlcy5pby91bnJlYWNoYWJsZRIG' +
    'RXhpc3RzGgAiCU5vRXhlY3V0ZSisAroBEAoIMTAuMC4wLjESAWESAWLCAQDIAQDSARUKBzEuMS4xLjEaCgoFbmRvdHMSATLiAQkK' +
    'B3gvcmVhZHnwAQD6ARRQcmVlbXB0TG93ZXJQcmlvcml0eYoCKwgBEgR6b25lGg5TY2hlZHVsZUFueXdheSIREg8KA2FwcBICSW4a' +
    'BHJpY2gaEwoAGgAiACoAMgBKAFoAcgCIAQAaACIA',
    'base64',
  ),
  /** kubectl create secret generic s133 --from-literal=a=b (Secret is not served) */
  secret: hex('6b3873000a0c0a027631120653656372657412200a140a047331333312001a0022002a0032003800420012060a01611201621a001a002200'),
  /** kubectl create token default */
  tokenRequest: hex(
    '6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e52657175657374121a0a100a0012001a0022002a0032003800420012001a040a0012001a002200',
  ),
};

/** Built with protoc --encode from the v0.33 generated.proto (text format in each comment). */
const ENCODED = {
  /** Eviction { metadata { name: "p1" namespace: "default" creationTimestamp {} } deleteOptions { gracePeriodSeconds: 30 preconditions { uid: "1234" } propagationPolicy: "Foreground" dryRun: "All" } } */
  eviction: hex('6b3873000a150a09706f6c6963792f763112084576696374696f6e122e0a0f0a0270311a0764656661756c744200121b081e12060a0431323334220a466f726567726f756e642a03416c6c1a002200'),
  /** Binding { metadata { name: "p1" namespace: "default" uid: "abc" creationTimestamp { seconds: 1700000000 nanos: 5 } labels { a: b } ownerReferences { apiVersion: "v1" kind: "Node" name: "n1" uid: "u" controller: true } finalizers: "f" } target { kind: "Node" apiVersion: "v1" name: "n1" } } */
  binding: hex(
    '6b3873000a0d0a027631120742696e64696e67124e0a3c0a0270311a0764656661756c742a0361626342080880e2cfaa0610055a060a01611201626a130a044e6f64651a026e312201752a0276313001720166120e0a044e6f64651a026e312a0276311a002200',
  ),
  /** ConfigMap { metadata { name: "imm" } data { a: "" } binaryData { b: "" } immutable: false } */
  immutableConfigMap: hex('6b3873000a0f0a0276311209436f6e6669674d617012170a050a03696d6d12050a016112001a050a0162120020001a002200'),
  /** Pod with negative numbers (10-byte varints), unpacked repeated int64, an int IntOrString and a Quantity map */
  numbersPod: hex(
    '6b3873000a090a0276311203506f6412510a050a036e6567124812190a0163120169320410001850520b0a0912071205080010903f720f10ffffffffffffffffff0120072008c801fbffffffffffffffff0182020d0a0363707512060a043130306d1a002200',
  ),
  /** Pod { metadata { name: "nfs" } spec { volumes { name: "v" nfs { server: "s" path: "/" } } containers { name: "c" image: "i" } } }: nfs has no table */
  nfsPod: hex('6b3873000a090a0276311203506f6412200a050a036e667312170a0d0a017612083a060a017312012f12060a01631201691a002200'),
};

/**
 * The spec the server stored for `rich` (kubectl get -o json), without the labels and nodeName
 * `debug --copy-to` drops, plus the debug container; and without the two zero values the stored
 * JSON had that Go's omitempty drops (`priorityClassName: ""`, `readinessProbe.failureThreshold: 0`).
 */
const RICH_EXPECTED = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: {
    name: 'rich2',
    namespace: 'default',
    creationTimestamp: null,
    annotations: {
      note: 'hello',
    },
  },
  spec: {
    volumes: [
      {
        name: 'data',
        persistentVolumeClaim: {
          claimName: 'pvc1',
        },
      },
      {
        name: 'scratch',
        emptyDir: {
          sizeLimit: '1Gi',
        },
      },
      {
        name: 'cfg',
        configMap: {
          name: 'bx',
          items: [
            {
              key: 'k',
              path: 'k.txt',
              mode: 420,
            },
          ],
          defaultMode: 292,
        },
      },
      {
        name: 'tok',
        projected: {
          sources: [
            {
              serviceAccountToken: {
                expirationSeconds: 3600,
                path: 'token',
              },
            },
            {
              downwardAPI: {
                items: [
                  {
                    path: 'labels',
                    fieldRef: {
                      apiVersion: 'v1',
                      fieldPath: 'metadata.labels',
                    },
                  },
                ],
              },
            },
          ],
        },
      },
    ],
    containers: [
      {
        name: 'main',
        image: 'busybox:1.36',
        command: [
          '/bin/sh',
        ],
        args: [
          '-c',
          'sleep 3600',
        ],
        workingDir: '/work',
        ports: [
          {
            name: 'http',
            containerPort: 8080,
            protocol: 'TCP',
          },
          {
            containerPort: 0,
          },
        ],
        env: [
          {
            name: 'A',
            value: '1',
          },
          {
            name: 'EMPTY',
          },
          {
            name: 'NODE',
            valueFrom: {
              fieldRef: {
                fieldPath: 'spec.nodeName',
              },
            },
          },
          {
            name: 'CPU',
            valueFrom: {
              resourceFieldRef: {
                resource: 'limits.cpu',
                divisor: '1m',
              },
            },
          },
          {
            name: 'CM',
            valueFrom: {
              configMapKeyRef: {
                name: 'bx',
                key: 'k',
                optional: true,
              },
            },
          },
        ],
        resources: {
          limits: {
            cpu: '500m',
            memory: '128Mi',
          },
          requests: {
            cpu: '250m',
            memory: '64Mi',
          },
        },
        volumeMounts: [
          {
            name: 'data',
            mountPath: '/data',
          },
          {
            name: 'cfg',
            readOnly: true,
            mountPath: '/cfg',
            subPath: 'k.txt',
          },
        ],
        livenessProbe: {
          httpGet: {
            path: '/healthz',
            port: 'http',
          },
          initialDelaySeconds: 3,
          periodSeconds: 10,
        },
        readinessProbe: {
          tcpSocket: {
            port: 8080,
          },
        },
        lifecycle: {
          preStop: {
            sleep: {
              seconds: 2,
            },
          },
        },
        terminationMessagePath: '/dev/termination-log',
        imagePullPolicy: 'IfNotPresent',
        securityContext: {
          capabilities: {
            drop: [
              'ALL',
            ],
          },
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
        },
        stdin: true,
        tty: true,
        envFrom: [
          {
            prefix: 'P_',
            configMapRef: {
              name: 'bx',
            },
          },
        ],
        terminationMessagePolicy: 'File',
        startupProbe: {
          exec: {
            command: [
              'true',
            ],
          },
        },
      },
      {
        name: 'dbg',
        image: 'busybox',
        resources: {},
        terminationMessagePolicy: 'File',
      },
    ],
    restartPolicy: 'OnFailure',
    terminationGracePeriodSeconds: 5,
    activeDeadlineSeconds: 600,
    dnsPolicy: 'ClusterFirst',
    nodeSelector: {
      'kubernetes.io/hostname': 'n1',
    },
    serviceAccountName: 'default',
    serviceAccount: 'default',
    securityContext: {
      runAsUser: 1000,
      runAsNonRoot: true,
      supplementalGroups: [
        5,
        6,
      ],
      fsGroup: 2000,
      seccompProfile: {
        type: 'RuntimeDefault',
      },
    },
    hostname: 'h',
    subdomain: 's',
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                {
                  key: 'kubernetes.io/os',
                  operator: 'In',
                  values: [
                    'linux',
                  ],
                },
              ],
            },
          ],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 10,
            preference: {
              matchExpressions: [
                {
                  key: 'zone',
                  operator: 'Exists',
                },
              ],
            },
          },
        ],
      },
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 50,
            podAffinityTerm: {
              labelSelector: {
                matchLabels: {
                  app: 'rich',
                },
              },
              topologyKey: 'kubernetes.io/hostname',
            },
          },
        ],
      },
    },
    schedulerName: 'default-scheduler',
    initContainers: [
      {
        name: 'init',
        image: 'busybox',
        command: [
          'sh',
          '-c',
        ],
        args: [
          'true',
        ],
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        imagePullPolicy: 'Always',
        terminationMessagePolicy: 'File',
      },
    ],
    automountServiceAccountToken: false,
    tolerations: [
      {
        key: 'k',
        operator: 'Equal',
        value: 'v',
        effect: 'NoSchedule',
      },
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ],
    hostAliases: [
      {
        ip: '10.0.0.1',
        hostnames: [
          'a',
          'b',
        ],
      },
    ],
    priority: 0,
    dnsConfig: {
      nameservers: [
        '1.1.1.1',
      ],
      options: [
        {
          name: 'ndots',
          value: '2',
        },
      ],
    },
    readinessGates: [
      {
        conditionType: 'x/ready',
      },
    ],
    enableServiceLinks: false,
    preemptionPolicy: 'PreemptLowerPriority',
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: {
          matchExpressions: [
            {
              key: 'app',
              operator: 'In',
              values: [
                'rich',
              ],
            },
          ],
        },
      },
    ],
  },
  status: {},
};

describe('decodeKubeProtobuf on kubectl 1.33 request bodies', () => {
  it.each([
    ['create namespace', CAPTURED.namespace, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'foo', creationTimestamp: null }, spec: {}, status: {} }],
    ['create configmap', CAPTURED.configMap, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cm133', creationTimestamp: null }, data: { a: 'b' } }],
    [
      'create configmap with binary data',
      CAPTURED.binaryConfigMap,
      { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'bx', creationTimestamp: null }, data: { k: 'v' }, binaryData: { blob: '//4AAWJpbg==' } },
    ],
    ['create serviceaccount', CAPTURED.serviceAccount, { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: 'sa1', creationTimestamp: null } }],
    ['drain --disable-eviction', CAPTURED.deleteOptions, { kind: 'DeleteOptions', apiVersion: 'v1' }],
    ['drain --disable-eviction --grace-period=7', CAPTURED.deleteOptionsGrace7, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 7 }],
    ['debug --copy-to --replace (delete)', CAPTURED.deleteOptionsGrace0, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 }],
    [
      'debug node',
      CAPTURED.nodeDebugPod,
      {
        kind: 'Pod',
        apiVersion: 'v1',
        metadata: { name: 'node-debugger-n1-bq4xx', creationTimestamp: null },
        spec: {
          volumes: [{ name: 'host-root', hostPath: { path: '/' } }],
          containers: [
            { name: 'debugger', image: 'busybox', resources: {}, volumeMounts: [{ name: 'host-root', mountPath: '/host' }], terminationMessagePolicy: 'File' },
          ],
          restartPolicy: 'Never',
          nodeName: 'n1',
          hostNetwork: true,
          hostPID: true,
          hostIPC: true,
          tolerations: [{ operator: 'Exists' }],
        },
        status: {},
      },
    ],
    [
      'debug --copy-to',
      CAPTURED.copiedPod,
      {
        kind: 'Pod',
        apiVersion: 'v1',
        metadata: { name: 'pc133', namespace: 'default', creationTimestamp: null },
        spec: {
          containers: [
            {
              name: 'p133',
              image: 'busybox',
              resources: {},
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              imagePullPolicy: 'Always',
            },
            { name: 'debugger-cp9lf', image: 'busybox', resources: {}, terminationMessagePolicy: 'File' },
          ],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          serviceAccountName: 'default',
          serviceAccount: 'default',
          securityContext: {},
          schedulerName: 'default-scheduler',
          tolerations: [
            { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
            { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          ],
          priority: 0,
          enableServiceLinks: true,
          preemptionPolicy: 'PreemptLowerPriority',
        },
        status: {},
      },
    ],
    ['debug --copy-to of a pod using most of PodSpec', CAPTURED.richPod, RICH_EXPECTED],
  ])('%s', (_, body, expected) => {
    expect(isKubeProtobuf(body)).toBe(true);
    expect(decodeKubeProtobuf(body)).toEqual(expected);
  });

  it('keeps zero values JSON keeps and drops those omitempty drops', () => {
    // Same bytes as the JSON kubectl 1.31 sends for `kubectl debug p --copy-to`: "priority":0 stays
    // (a pointer), "hostNetwork":false and "nodeName":"" go (omitempty), as do empty strings.
    const pod = decodeKubeProtobuf(CAPTURED.copiedPod) as { spec: Record<string, unknown> };
    expect(pod.spec.priority).toBe(0);
    expect(pod.spec).not.toHaveProperty('hostNetwork');
    expect(pod.spec).not.toHaveProperty('nodeName');
    expect(decodeKubeProtobuf(ENCODED.immutableConfigMap)).toEqual({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'imm' },
      data: { a: '' },
      binaryData: { b: '' },
      immutable: false,
    });
  });
});

describe('decodeKubeProtobuf on kinds kubectl does not send as protobuf', () => {
  it('decodes an Eviction (policy/v1) with its DeleteOptions', () => {
    expect(decodeKubeProtobuf(ENCODED.eviction)).toEqual({
      kind: 'Eviction',
      apiVersion: 'policy/v1',
      metadata: { name: 'p1', namespace: 'default', creationTimestamp: null },
      deleteOptions: { gracePeriodSeconds: 30, preconditions: { uid: '1234' }, propagationPolicy: 'Foreground', dryRun: ['All'] },
    });
  });

  it('decodes a Binding, with labels, owner references, finalizers and a time (nanos dropped as in JSON)', () => {
    expect(decodeKubeProtobuf(ENCODED.binding)).toEqual({
      kind: 'Binding',
      apiVersion: 'v1',
      metadata: {
        name: 'p1',
        namespace: 'default',
        uid: 'abc',
        creationTimestamp: '2023-11-14T22:13:20Z',
        labels: { a: 'b' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'u', controller: true }],
        finalizers: ['f'],
      },
      target: { kind: 'Node', apiVersion: 'v1', name: 'n1' },
    });
  });

  it('decodes negative varints, unpacked repeated numbers, int IntOrStrings and Quantity maps', () => {
    expect(decodeKubeProtobuf(ENCODED.numbersPod)).toEqual({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'neg' },
      spec: {
        containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }], livenessProbe: { httpGet: { port: 8080 } } }],
        securityContext: { runAsUser: -1, supplementalGroups: [7, 8] },
        priority: -5,
        overhead: { cpu: '100m' },
      },
    });
  });
});

describe('decodeKubeProtobuf refuses what it cannot decode', () => {
  it.each([
    ['a Secret', CAPTURED.secret, /cannot decode protobuf v1 Secret: .*only for .*v1 ConfigMap.*; send the Secret as JSON \(Content-Type: application\/json\)/],
    ['a TokenRequest', CAPTURED.tokenRequest, /cannot decode protobuf authentication\.k8s\.io\/v1 TokenRequest: .*send the TokenRequest as JSON/],
    ['a field without a table', ENCODED.nfsPod, /cannot decode protobuf Pod: field 7 of VolumeSource at spec\.volumes\[0\] is not supported .*; send the object as JSON/],
  ])('%s, as unsupported, naming it', (_, body, message) => {
    const err = catchError(() => decodeKubeProtobuf(body));
    expect(err).toBeInstanceOf(ProtobufError);
    expect((err as ProtobufError).unsupported).toBe(true);
    expect((err as Error).message).toMatch(message);
  });

  it('rejects a body without the k8s\\0 prefix', () => {
    expect(isKubeProtobuf(Buffer.from('{"kind":"Pod"}'))).toBe(false);
    expect(() => decodeKubeProtobuf(Buffer.from('{"kind":"Pod"}'))).toThrow(/does not start with the "k8s\\0" prefix/);
  });

  it('rejects a truncated body as malformed', () => {
    const body = CAPTURED.namespace.subarray(0, 30);
    const err = catchError(() => decodeKubeProtobuf(body));
    expect(err).toBeInstanceOf(ProtobufError);
    expect((err as ProtobufError).unsupported).toBe(false);
    expect((err as Error).message).toMatch(/truncated/);
  });

  it('never crashes on any truncation of any fixture: a ProtobufError or a decoded object', () => {
    for (const body of [...Object.values(CAPTURED), ...Object.values(ENCODED)]) {
      for (let n = 0; n < body.length; n++) {
        const err = catchError(() => decodeKubeProtobuf(body.subarray(0, n)));
        if (err) expect(err).toBeInstanceOf(ProtobufError);
      }
    }
  });

  it('never crashes on corrupted bytes', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const bodies = [...Object.values(CAPTURED), ...Object.values(ENCODED)];
    for (let i = 0; i < 3000; i++) {
      const body = Buffer.from(bodies[i % bodies.length]);
      for (let k = 0; k < 3; k++) body[4 + Math.floor(rand() * (body.length - 4))] = Math.floor(rand() * 256);
      const err = catchError(() => decodeKubeProtobuf(body));
      if (err) expect(err).toBeInstanceOf(ProtobufError);
    }
  });

  it('keeps a "__proto__" map key as data', () => {
    // ConfigMap { metadata { name: "x" } data { key: "__proto__" value: "v" } }
    const body = hex('6b3873000a0f0a0276311209436f6e6669674d617012150a030a0178120e0a095f5f70726f746f5f5f120176');
    const cm = decodeKubeProtobuf(body) as { data: Record<string, string> };
    expect(Object.getPrototypeOf(cm.data)).toBe(Object.prototype);
    expect(Object.keys(cm.data)).toEqual(['__proto__']);
    expect(JSON.stringify(cm.data)).toBe('{"__proto__":"v"}');
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('the embedded server accepts protobuf bodies', () => {
  let cluster: EmbeddedCluster;
  const send = async (method: string, path: string, body: Buffer, contentType = 'application/vnd.kubernetes.protobuf') => {
    const res = await fetch(cluster.url + path, { method, headers: { 'Content-Type': contentType, Accept: 'application/json' }, body: new Uint8Array(body) });
    return { status: res.status, json: (await res.json()) as any };
  };
  beforeAll(async () => {
    cluster = await startEmbeddedCluster();
  });
  afterAll(() => cluster.stop());

  it('creates a namespace, a configmap and a service account, and deletes with protobuf DeleteOptions', async () => {
    const ns = await send('POST', '/api/v1/namespaces?fieldManager=kubectl-create&fieldValidation=Strict', CAPTURED.namespace);
    expect(ns.status).toBe(201);
    expect(ns.json.metadata.name).toBe('foo');
    const cm = await send('POST', '/api/v1/namespaces/default/configmaps', CAPTURED.binaryConfigMap);
    expect(cm.status).toBe(201);
    expect(cm.json).toMatchObject({ data: { k: 'v' }, binaryData: { blob: '//4AAWJpbg==' } });
    expect((await send('POST', '/api/v1/namespaces/default/serviceaccounts', CAPTURED.serviceAccount)).status).toBe(201);
    const del = await send('DELETE', '/api/v1/namespaces/default/configmaps/bx', CAPTURED.deleteOptionsGrace0);
    expect(del.status).toBe(200);
  });

  it('creates the pods kubectl debug sends', async () => {
    const created = await send('POST', '/api/v1/namespaces/default/pods', CAPTURED.copiedPod);
    expect(created.status).toBe(201);
    expect(created.json.spec.containers.map((c: { name: string }) => c.name)).toEqual(['p133', 'debugger-cp9lf']);
  });

  it('answers 415 naming the kind for a kind without a table, 400 for a truncated body', async () => {
    const wrong = await send('POST', '/api/v1/namespaces/default/configmaps', CAPTURED.secret);
    expect(wrong.status).toBe(415);
    expect(wrong.json).toMatchObject({ reason: 'UnsupportedMediaType', code: 415 });
    expect(wrong.json.message).toMatch(/v1 Secret.*send the Secret as JSON/);
    const truncated = await send('POST', '/api/v1/namespaces/default/configmaps', CAPTURED.configMap.subarray(0, 40));
    expect(truncated.status).toBe(400);
    expect(truncated.json.message).toMatch(/truncated/);
    const badDelete = await send('DELETE', '/api/v1/namespaces/default/serviceaccounts/sa1', CAPTURED.deleteOptions.subarray(0, 20));
    expect(badDelete.status).toBe(400);
  });

  it('still answers 415 for CBOR', async () => {
    const res = await send('POST', '/api/v1/namespaces/default/configmaps', Buffer.from([0xd9, 0xd9, 0xf7, 0xa0]), 'application/cbor');
    expect(res.status).toBe(415);
  });
});
