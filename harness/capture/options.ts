// npm run capture's command line: the options, each checked, and the kubeconfig they name. A bad
// value is a UsageError naming the option, the value and what is accepted (exit 2).
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { validateDns1123Label, validateDns1123Subdomain } from '../apiserver/names.ts';
import { UsageError } from '../cli/args.ts';

export const CAPTURE_USAGE = `usage: npm run capture [-- options]

Reads a live cluster with list and get requests only and writes a scenario file that
npm run scenario -- --file FILE runs on the embedded cluster (docs/capture.md).

options:
  --kubeconfig PATH        the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME           its context (default: the current context)
  --namespaces A,B         only these namespaces' PVCs (default: every namespace)
  --velero-namespace NS    Velero's namespace (default velero)
  --configmap NAME         the node-agent ConfigMap there (default: the one the node-agent
                           DaemonSet's --node-agent-configmap names, else node-agent-config)
  --keep-names             real names of nodes, namespaces, PVCs, StorageClasses and Schedules
                           (default: aliases node-01, ns-01, ns-01-pvc-001, sc-1, schedule-1)
  --out FILE               where the file goes (default reports/out/capture/NAME.yaml, NAME the
                           file's metadata.name: the context's name as a DNS label)
  --quiet                  no progress lines and no summary: only the path
  --help                   this text`;

export interface CaptureArgs {
  kubeconfig?: string;
  context?: string;
  namespaces?: string[];
  veleroNamespace: string;
  /** Absent: the node-agent DaemonSet's --node-agent-configmap, else node-agent-config. */
  configMap?: string;
  keepNames: boolean;
  out?: string;
  quiet: boolean;
  help: boolean;
}

const label = (option: string, value: string, what: string) => {
  const errs = validateDns1123Label(value);
  if (errs.length) throw new UsageError(`--${option}: ${JSON.stringify(value)} is not accepted: ${what} is a DNS-1123 label (${errs.join('; ')})`);
  return value;
};

/** The options, checked; unknown options and missing values are refused by parseArgs (ERR_PARSE_ARGS, exit 2). */
export function parseCaptureArgs(argv: string[]): CaptureArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespaces: { type: 'string' },
      'velero-namespace': { type: 'string', default: 'velero' },
      configmap: { type: 'string' },
      'keep-names': { type: 'boolean', default: false },
      out: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  let namespaces: string[] | undefined;
  if (values.namespaces !== undefined) {
    namespaces = values.namespaces.split(',').map((n) => n.trim());
    if (namespaces.some((n) => n === '')) throw new UsageError(`--namespaces: ${JSON.stringify(values.namespaces)} is not accepted: a comma-separated list of namespaces such as shop,billing`);
    for (const n of namespaces) label('namespaces', n, 'a namespace');
    namespaces = [...new Set(namespaces)];
  }
  const veleroNamespace = label('velero-namespace', values['velero-namespace'], 'a namespace');
  const configMap = values.configmap;
  const cmErrs = configMap === undefined ? [] : validateDns1123Subdomain(configMap);
  if (cmErrs.length) throw new UsageError(`--configmap: ${JSON.stringify(configMap)} is not accepted: a ConfigMap name is a DNS-1123 subdomain (${cmErrs.join('; ')})`);
  if (values.out !== undefined && values.out.trim() === '') throw new UsageError('--out: "" is not accepted: a file path such as my-cluster.yaml');
  if (values.context !== undefined && values.context === '') throw new UsageError('--context: "" is not accepted: a context of the kubeconfig');
  return {
    kubeconfig: values.kubeconfig,
    context: values.context,
    namespaces,
    veleroNamespace,
    configMap,
    keepNames: values['keep-names'],
    out: values.out,
    quiet: values.quiet,
    help: values.help,
  };
}

/** The kubeconfig the options name, set to their context; UsageError for a missing file or an unknown context. */
export function loadKubeConfig(args: Pick<CaptureArgs, 'kubeconfig' | 'context'>): KubeConfig {
  const kc = new KubeConfig();
  if (args.kubeconfig !== undefined) {
    if (!existsSync(args.kubeconfig)) throw new UsageError(`--kubeconfig: ${JSON.stringify(args.kubeconfig)} is not accepted: no such file`);
    try {
      kc.loadFromFile(args.kubeconfig);
    } catch (e) {
      throw new UsageError(`--kubeconfig: ${JSON.stringify(args.kubeconfig)} is not accepted: not a kubeconfig (${(e as Error).message})`);
    }
  } else {
    kc.loadFromDefault();
  }
  const contexts = kc.getContexts().map((c) => c.name);
  if (args.context !== undefined) {
    if (!contexts.includes(args.context)) {
      throw new UsageError(`--context: ${JSON.stringify(args.context)} is not accepted: the kubeconfig's contexts are ${contexts.length ? contexts.join(', ') : '(none)'}`);
    }
    kc.setCurrentContext(args.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new UsageError(`the kubeconfig${args.kubeconfig ? ` ${args.kubeconfig}` : ''} has no cluster for its current context${contexts.length ? `: pass --context, one of ${contexts.join(', ')}` : ' (give --kubeconfig)'}`);
  }
  return kc;
}
