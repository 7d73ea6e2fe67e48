// Gates as data (kube-burner's thresholds, plus a committed baseline): each names a figure of a
// flow and a limit, absolute or relative to the baseline with a tolerance. Evaluated after a
// run into pass/fail lines that name the figure, the value, the limit and the baseline.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { columnOf, type FlowResult, type Results } from '../harness/scenario/results.ts';

export type GateOp = '<=' | '<' | '>=' | '>' | '==';

export interface GateDecl {
  /** A figure of docs/design.md section 4 by its results key, e.g. "timeouts", "idleCpuCoreSeconds", "latencySeconds.p95"; or "steadyStateFailures". */
  figure: string;
  /** The flow (its results column: "deploying", or "velero-1.16 / no pod deadline"). */
  flow: string;
  op: GateOp;
  /** An absolute limit, or another figure of the same flow ({ figure: 'dataUploads' }: all of them),
   *  or of another flow of the same run ({ figure: 'makespanSeconds', flow: 'velero-1.17' }) ... */
  value?: number | { figure: string; flow?: string };
  /** ... or the baseline's value, allowed to be worse by `tolerance` (0.1: 10%) plus `slack` (absolute). */
  baseline?: { tolerance: number; slack?: number };
}

export interface GateResult {
  gate: GateDecl;
  ok: boolean;
  value: number | undefined;
  limit: number | undefined;
  baseline?: number;
  line: string;
}

/** Figures per flow column, as stored in a baseline file. */
export interface Baseline {
  scenario: string;
  seed: number;
  codeVersion: string;
  parameters: Record<string, unknown>;
  figures: Record<string, Record<string, number>>;
}

/**
 * The gates that see a regression which fails DataUploads: completed, failed, canceled and
 * unfinished against the baseline, not worse by even one; with `all`, every DataUpload completed.
 */
export function completionGates(flow: string, opts: { all?: boolean } = {}): GateDecl[] {
  const exact = { tolerance: 0 };
  return [
    opts.all ? { figure: 'completed', flow, op: '==', value: { figure: 'dataUploads' } } : { figure: 'completed', flow, op: '>=', baseline: exact },
    { figure: 'failed', flow, op: '<=', baseline: exact },
    { figure: 'canceled', flow, op: '<=', baseline: exact },
    { figure: 'unfinished', flow, op: '<=', baseline: exact },
  ];
}

/**
 * The goals of a flow under faults (issue 22): a steady state, every DataUpload a fault stranded
 * ended within 10 minutes of it (`faultEnds.maxSeconds`), no timeout, no fewer completed than
 * each of `others` in the same run, and its completion gates.
 */
export function faultGoalGates(flow: string, others: string[]): GateDecl[] {
  return [
    { figure: 'steadyStateFailures', flow, op: '==', value: 0 },
    { figure: 'faultEnds.maxSeconds', flow, op: '<=', value: 600 },
    { figure: 'timeouts', flow, op: '==', value: 0 },
    ...others.map((other) => ({ figure: 'completed', flow, op: '>=' as const, value: { figure: 'completed', flow: other } })),
    ...completionGates(flow),
  ];
}

/** The parameters a baseline was made with that differ from a run's: "key: baseline X, this run Y". */
export function parameterDifferences(baseline: Record<string, unknown>, run: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(baseline), ...Object.keys(run)])].sort();
  return keys.filter((k) => stable(baseline[k]) !== stable(run[k])).map((k) => `${k}: baseline ${stable(baseline[k]) ?? 'absent'}, this run ${stable(run[k]) ?? 'absent'}`);
}

function stable(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => stable(x) ?? 'null').join(',')}]`;
  return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

export function figureOf(flow: FlowResult, figure: string): number | undefined {
  if (figure === 'steadyStateFailures') return (flow.steadyState ?? []).filter((c) => !c.ok).length;
  let v: unknown = flow.figures;
  for (const part of figure.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
  return typeof v === 'number' ? v : undefined;
}

function compare(v: number, op: GateOp, limit: number): boolean {
  switch (op) {
    case '<=':
      return v <= limit;
    case '<':
      return v < limit;
    case '>=':
      return v >= limit;
    case '>':
      return v > limit;
    case '==':
      return v === limit;
  }
}

export function evaluateGates(results: Results, gates: GateDecl[], baseline?: Baseline): GateResult[] {
  // A baseline made with other parameters compares other workloads: every gate on it fails.
  const differ = baseline ? parameterDifferences(baseline.parameters ?? {}, results.parameters ?? {}) : [];
  return gates.map((gate) => {
    const flow = results.flows.find((f) => columnOf(f) === gate.flow);
    const value = flow ? figureOf(flow, gate.figure) : undefined;
    const name = `${results.scenario}: ${gate.flow} ${gate.figure}`;
    if (value === undefined) return { gate, ok: false, value, limit: undefined, line: `FAIL ${name}: no such figure or flow in the results` };
    let limit: number;
    let base: number | undefined;
    if (gate.baseline) {
      if (differ.length) {
        return { gate, ok: false, value, limit: undefined, line: `FAIL ${name} = ${fmt(value)}: the baseline was made with other parameters (${differ.join('; ')}); npm run gate -- --update-baseline after a deliberate change` };
      }
      base = baseline?.figures[gate.flow]?.[gate.figure];
      if (base === undefined) {
        return { gate, ok: false, value, limit: undefined, line: `FAIL ${name} = ${fmt(value)}: no baseline value (npm run gate -- --update-baseline)` };
      }
      const worse = gate.op.startsWith('<') ? 1 : -1;
      limit = base * (1 + worse * gate.baseline.tolerance) + worse * (gate.baseline.slack ?? 0);
    } else if (typeof gate.value === 'object') {
      const against = gate.value;
      const otherFlow = against.flow === undefined ? flow : results.flows.find((f) => columnOf(f) === against.flow);
      const other = otherFlow ? figureOf(otherFlow, against.figure) : undefined;
      if (other === undefined) return { gate, ok: false, value, limit: undefined, line: `FAIL ${name}: no figure ${against.flow ? `${against.flow} ` : ''}${against.figure} to compare with` };
      limit = other;
    } else limit = gate.value!;
    const ok = compare(value, gate.op, limit);
    const against =
      base !== undefined
        ? ` (baseline ${fmt(base)}, tolerance ${gate.baseline!.tolerance * 100}%${gate.baseline!.slack ? ` + ${gate.baseline!.slack}` : ''})`
        : typeof gate.value === 'object'
          ? ` (${gate.value.flow ? `${gate.value.flow} ` : ''}${gate.value.figure})`
          : '';
    return { gate, ok, value, limit, baseline: base, line: `${ok ? 'pass' : 'FAIL'} ${name} = ${fmt(value)}, limit ${gate.op} ${fmt(limit)}${against}` };
  });
}

/** The gated figures of a run, for the baseline file. */
export function baselineOf(results: Results, gates: GateDecl[]): Baseline {
  const figures: Baseline['figures'] = {};
  // The gated figures, and those of other flows that gates compare with.
  const wanted = gates.flatMap((g) => [{ flow: g.flow, figure: g.figure }, ...(typeof g.value === 'object' && g.value.flow ? [{ flow: g.value.flow, figure: g.value.figure }] : [])]);
  for (const g of wanted) {
    const flow = results.flows.find((f) => columnOf(f) === g.flow);
    const v = flow ? figureOf(flow, g.figure) : undefined;
    if (v !== undefined) (figures[g.flow] ??= {})[g.figure] = v;
  }
  return { scenario: results.scenario, seed: results.seed, codeVersion: results.codeVersion, parameters: results.parameters, figures };
}

export function readBaseline(file: string): Baseline | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Baseline;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

export function writeBaseline(file: string, b: Baseline): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(b, null, 2) + '\n');
}

/** JUnit XML: a test suite per scenario, a test case per gate. */
export function junitXml(suites: { scenario: string; results: GateResult[]; seconds: number }[]): string {
  const x = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
  const total = suites.reduce((a, s) => a + s.results.length, 0);
  const failures = suites.reduce((a, s) => a + s.results.filter((r) => !r.ok).length, 0);
  const body = suites
    .map(
      (s) =>
        `  <testsuite name="${x(s.scenario)}" tests="${s.results.length}" failures="${s.results.filter((r) => !r.ok).length}" time="${s.seconds.toFixed(1)}">\n` +
        s.results
          .map((r) => `    <testcase classname="${x(s.scenario)}" name="${x(`${r.gate.flow} ${r.gate.figure} ${r.gate.op}`)}">${r.ok ? '' : `<failure message="${x(r.line)}"/>`}</testcase>`)
          .join('\n') +
        '\n  </testsuite>',
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="datamover-bench gates" tests="${total}" failures="${failures}">\n${body}\n</testsuites>\n`;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? x.toLocaleString('en-US') : (Math.round(x * 1000) / 1000).toLocaleString('en-US');
}
