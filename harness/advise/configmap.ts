// What a user applies: the node-agent ConfigMap for `kubectl apply -f -`, and the two settings
// that are flags, not ConfigMap keys. Velero's GetConfigs (pkg/nodeagent/node_agent.go) reads the
// ConfigMap's only data key, whatever its name; the bench's own `datamoverBench` key is left out
// (it holds the bench's view of the flags: Velero would ignore it, and the user would wonder).
import { stringify } from 'yaml';
import { parseNodeAgentConfig } from '../../controller/config.ts';
import type { FlowName } from '../../controller/flows/types.ts';
import type { Experiment } from '../scenario/scenario.ts';
import { shortDuration } from './candidates.ts';

export const CONFIGMAP = { name: 'node-agent-config', namespace: 'velero', key: 'node-agent-config.json' };
/** Velero's default item operation timeout (velero backup create --item-operation-timeout). */
const DEFAULT_ITEM_OPERATION_TIMEOUT_MS = 4 * 3600_000;

export interface Applied {
  /** The ConfigMap manifest, YAML. */
  configMap: string;
  /** The node-agent's --data-mover-prepare-timeout. */
  prepareTimeout: string;
  /** The backup's or schedule's --item-operation-timeout. */
  itemOperationTimeout: string;
  /** The data-mover pods' requests as the ConfigMap sets them (kept as the user's). */
  requests: { cpu?: string; memory?: string };
}

/** The node-agent document without the bench's own key. */
export function veleroDocument(doc: Record<string, unknown>): Record<string, unknown> {
  const { datamoverBench: _bench, ...velero } = doc;
  return velero;
}

export function configMapYaml(doc: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: CONFIGMAP.name, namespace: CONFIGMAP.namespace },
    data: { [CONFIGMAP.key]: JSON.stringify(veleroDocument(doc), null, 2) },
  });
}

/** The ConfigMap and flags of a flow's run at a setting (the built experiment). */
export function appliedSettings(experiment: Experiment, flow: FlowName): Applied {
  const doc = experiment.nodeAgentConfig(flow);
  const config = parseNodeAgentConfig(doc, `the node-agent config for ${flow}`);
  return {
    configMap: configMapYaml(doc),
    prepareTimeout: shortDuration(config.prepareTimeoutMs),
    itemOperationTimeout: shortDuration(experiment.itemOperationTimeoutMs ?? DEFAULT_ITEM_OPERATION_TIMEOUT_MS),
    requests: { cpu: config.podResources.cpuRequest, memory: config.podResources.memoryRequest },
  };
}

/** How the flags are set, for the terminal and the page. */
export function flagLines(a: Pick<Applied, 'prepareTimeout' | 'itemOperationTimeout'>): string[] {
  return [
    `node-agent (DaemonSet args):   --data-mover-prepare-timeout=${a.prepareTimeout}`,
    `backup or schedule:            --item-operation-timeout=${a.itemOperationTimeout}   (velero backup create / velero schedule create; a Schedule's spec.template.itemOperationTimeout)`,
  ];
}
