// The flows by name (docs/design.md section 2): the controller runs one of them on every node-agent.
import { deploying } from './deploying.ts';
import { pipelined } from './pipelined.ts';
import { FLOW_NAMES, type Flow, type FlowName } from './types.ts';
import { velero116 } from './velero-1.16.ts';
import { velero117 } from './velero-1.17.ts';

export const FLOWS: Record<FlowName, Flow> = {
  'velero-1.16': velero116,
  'velero-1.17': velero117,
  deploying,
  pipelined,
};

export function flowByName(name: string): Flow {
  if (!(FLOW_NAMES as readonly string[]).includes(name)) {
    throw new Error(`flow "${name}" is not known; accepted: ${FLOW_NAMES.join(', ')}`);
  }
  return FLOWS[name as FlowName];
}
