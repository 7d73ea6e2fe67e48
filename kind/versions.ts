// Every version the kind target pins, in one place. Each was read from the tagged source of its
// project (the tag named here), and each is chosen to match the others: one Kubernetes minor
// (1.36) from the node image up, one CSI snapshot API from the CRDs to the driver's sidecar.
// kind/cluster.yaml repeats KIND_NODE_IMAGE (a kind config cannot import it); kind.test.ts
// checks the two agree, and that the workflow installs KIND_VERSION and KUBECTL_VERSION.

/** kind v0.32.0: the newest kind release (tag v0.32.0, June 2026). */
export const KIND_VERSION = 'v0.32.0';

/**
 * The node image kind v0.32.0 was released with: its default image, read from
 * pkg/apis/config/defaults/image.go at tag v0.32.0 (with the digest, which kind's release notes
 * ask for). kind supports a node image only with the kind release that built it.
 */
export const KIND_NODE_IMAGE = 'kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5';

/** The Kubernetes version of KIND_NODE_IMAGE; kubectl is kept at the same version (skew 0). */
export const KUBERNETES_VERSION = 'v1.36.1';
export const KUBECTL_VERSION = KUBERNETES_VERSION;

/**
 * kubernetes-csi/external-snapshotter v8.6.0 (May 2026): the snapshot CRDs
 * (client/config/crd) and the common snapshot-controller (deploy/kubernetes/snapshot-controller),
 * each a kustomization at that tag, installed the way its README says. It is built against
 * Kubernetes 1.36.1, and it is the csi-snapshotter sidecar version that CSI_DRIVER_HOST_PATH's
 * deployment runs, so the CRDs, the controller and the sidecar are one release. (The tag's
 * snapshot-controller manifest runs the controller image v8.5.0: the project bumps manifest
 * images after tagging; v8.5.0 uses the v1 snapshot API and the v1beta2 group snapshot API, both
 * served, and stored, by the v8.6.0 CRDs.)
 */
export const EXTERNAL_SNAPSHOTTER_VERSION = 'v8.6.0';

/**
 * kubernetes-csi/csi-driver-host-path v1.18.0 (July 2026, "Update deployment structure for
 * Kubernetes 1.36"). Its releases deploy with deploy/kubernetes-<minor>/deploy.sh from a checkout
 * of the tag; v1.18.0 has kubernetes-1.34 and kubernetes-1.35, and kubernetes-latest (a link to
 * them) is what its release tooling (release-tools/prow.sh, find_deployment) picks for a newer
 * minor such as 1.36. That deployment runs csi-snapshotter v8.6.0 (EXTERNAL_SNAPSHOTTER_VERSION).
 */
export const CSI_DRIVER_HOST_PATH_VERSION = 'v1.18.0';
export const CSI_DRIVER_HOST_PATH_DEPLOYMENT = 'kubernetes-latest';

/**
 * kubernetes-sigs/kwok v0.8.0 (June 2026): the release assets kwok.yaml (the kwok-controller in
 * kube-system, managing Nodes annotated kwok.x-k8s.io/node=fake) and stage-fast.yaml (the node
 * and pod stages), as its "kwok in Cluster" page at that tag installs them.
 */
export const KWOK_VERSION = 'v0.8.0';

/**
 * helm/kind-action v1.14.0 (January 2026), the newest release; the workflow uses it only to
 * install kind KIND_VERSION and kubectl KUBECTL_VERSION (install_only), the up script creates the
 * cluster.
 */
export const KIND_ACTION_VERSION = 'v1.14.0';

export const EXTERNAL_SNAPSHOTTER_CRDS = `https://github.com/kubernetes-csi/external-snapshotter//client/config/crd?ref=${EXTERNAL_SNAPSHOTTER_VERSION}`;
export const SNAPSHOT_CONTROLLER = `https://github.com/kubernetes-csi/external-snapshotter//deploy/kubernetes/snapshot-controller?ref=${EXTERNAL_SNAPSHOTTER_VERSION}`;
export const CSI_DRIVER_HOST_PATH_REPO = 'https://github.com/kubernetes-csi/csi-driver-host-path.git';
export const KWOK_MANIFEST = `https://github.com/kubernetes-sigs/kwok/releases/download/${KWOK_VERSION}/kwok.yaml`;
export const KWOK_STAGE_FAST = `https://github.com/kubernetes-sigs/kwok/releases/download/${KWOK_VERSION}/stage-fast.yaml`;
