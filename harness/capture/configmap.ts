// The node-agent ConfigMap's JSON document with the names capture aliases mapped, and every other
// byte as it was. Velero matches the document's node selectors against node labels and its
// storageClass fields against StorageClass names (pkg/types/node_agent.go: loadConcurrency's
// perNodeConfig and loadAffinity select nodes, loadAffinity, backupPVC and cachePVC name
// classes). Once nodes and classes are aliased in the scenario file, a selector on
// kubernetes.io/hostname or a class left with its real name would match nothing; so those
// strings, and only those, are rewritten, in place in the text: indentation, key order and
// number formats stay exactly as the user wrote them.

export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

type Path = (string | number)[];
type Json = unknown;

/** The rename of one string of the document: a value, or an object key, at a path. */
interface Rename {
  path: Path;
  key: boolean;
  to: string;
}

export interface NameMaps {
  /** Real node name -> alias; a name with no entry becomes the next of "node-absent-N" (it matched no node before either). */
  nodes: Map<string, string>;
  /** Real StorageClass name -> alias; likewise "sc-absent-N". */
  storageClasses: Map<string, string>;
}

export interface MappedDocument {
  text: string;
  /** What was renamed, for the file's header: "loadAffinity[1].nodeSelector: kubernetes.io/hostname values -> node aliases". */
  renamed: string[];
  /** Label keys of node selectors, with where they are, so the caller can say which the scenario's nodes lack. */
  selectorKeys: { at: string; key: string }[];
}

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const at = (path: Path) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('');

/**
 * The document with node names in kubernetes.io/hostname selectors and StorageClass names mapped
 * through `maps`. Throws SyntaxError when `text` is not JSON (the caller keeps it unchanged).
 */
export function mapNodeAgentDocument(text: string, maps: NameMaps): MappedDocument {
  const doc = JSON.parse(text) as Json;
  const renames: Rename[] = [];
  const renamed: string[] = [];
  const selectorKeys: { at: string; key: string }[] = [];
  const absent = { nodes: new Map<string, string>(), storageClasses: new Map<string, string>() };
  const alias = (kind: 'nodes' | 'storageClasses', name: string) => {
    const known = maps[kind].get(name);
    if (known) return known;
    const misses = absent[kind];
    if (!misses.has(name)) misses.set(name, `${kind === 'nodes' ? 'node' : 'sc'}-absent-${misses.size + 1}`);
    return misses.get(name)!;
  };

  const selector = (sel: Json, path: Path) => {
    if (!isObject(sel)) return;
    const before = renames.length;
    if (isObject(sel.matchLabels)) {
      for (const [k, v] of Object.entries(sel.matchLabels)) {
        selectorKeys.push({ at: at(path), key: k });
        if (k === HOSTNAME_LABEL && typeof v === 'string') renames.push({ path: [...path, 'matchLabels', k], key: false, to: alias('nodes', v) });
      }
    }
    if (Array.isArray(sel.matchExpressions)) {
      sel.matchExpressions.forEach((e, i) => {
        if (!isObject(e) || typeof e.key !== 'string') return;
        selectorKeys.push({ at: at(path), key: e.key });
        if (e.key !== HOSTNAME_LABEL || !Array.isArray(e.values)) return;
        e.values.forEach((v, j) => {
          if (typeof v === 'string') renames.push({ path: [...path, 'matchExpressions', i, 'values', j], key: false, to: alias('nodes', v) });
        });
      });
    }
    if (renames.length > before) renamed.push(`${at(path)}: ${HOSTNAME_LABEL} values -> node aliases`);
  };
  const storageClass = (v: Json, path: Path, shown = at(path)) => {
    if (typeof v !== 'string') return;
    renames.push({ path, key: false, to: alias('storageClasses', v) });
    renamed.push(`${shown}: StorageClass -> its alias`);
  };

  if (isObject(doc)) {
    const lc = doc.loadConcurrency;
    if (isObject(lc) && Array.isArray(lc.perNodeConfig)) {
      lc.perNodeConfig.forEach((r, i) => isObject(r) && selector(r.nodeSelector, ['loadConcurrency', 'perNodeConfig', i, 'nodeSelector']));
    }
    if (Array.isArray(doc.loadAffinity)) {
      doc.loadAffinity.forEach((a, i) => {
        if (!isObject(a)) return;
        selector(a.nodeSelector, ['loadAffinity', i, 'nodeSelector']);
        storageClass(a.storageClass, ['loadAffinity', i, 'storageClass']);
      });
    }
    // backupPVC: {"<source class>": {"storageClass": "<backup PVC's class>", ...}}.
    if (isObject(doc.backupPVC)) {
      for (const [name, v] of Object.entries(doc.backupPVC)) {
        const to = alias('storageClasses', name);
        renames.push({ path: ['backupPVC', name], key: true, to });
        renamed.push(`backupPVC.${to}: StorageClass key -> its alias`);
        if (isObject(v)) storageClass(v.storageClass, ['backupPVC', name, 'storageClass'], `backupPVC.${to}.storageClass`);
      }
    }
    if (isObject(doc.cachePVC)) storageClass(doc.cachePVC.storageClass, ['cachePVC', 'storageClass']);
  }
  return { text: renameStrings(text, renames), renamed, selectorKeys };
}

/**
 * Replaces the JSON strings at the renames' paths, copying every other character. A small
 * scanner over valid JSON (the caller parsed it first): it tracks the path of each string and
 * whether it is a key.
 */
function renameStrings(text: string, renames: Rename[]): string {
  if (!renames.length) return text;
  const wanted = new Map(renames.map((r) => [`${r.key ? 'k' : 'v'}${JSON.stringify(r.path)}`, r.to]));
  type Frame = { kind: 'object'; key?: string; expectKey: boolean } | { kind: 'array'; index: number };
  const stack: Frame[] = [];
  const pathHere = (): Path => stack.map((f) => (f.kind === 'object' ? f.key! : f.index));
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const raw = text.slice(i, j + 1);
      const value = JSON.parse(raw) as string;
      const isKey = top?.kind === 'object' && top.expectKey;
      if (isKey) top.key = value;
      const to = wanted.get(`${isKey ? 'k' : 'v'}${JSON.stringify(pathHere())}`);
      out += to === undefined ? raw : JSON.stringify(to);
      i = j + 1;
      continue;
    }
    if (c === '{') stack.push({ kind: 'object', expectKey: true });
    else if (c === '[') stack.push({ kind: 'array', index: 0 });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ':' && top?.kind === 'object') top.expectKey = false;
    else if (c === ',' && top) {
      if (top.kind === 'object') top.expectKey = true;
      else top.index++;
    }
    out += c;
    i++;
  }
  return out;
}
