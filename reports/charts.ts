// The report's charts: ECharts options rendered to SVG strings at generation time (server-side
// rendering), so the HTML needs no script and no network. Each function takes results and
// returns one SVG; every axis carries its unit.
import * as echarts from 'echarts';
import { contains } from '../harness/figures/intervals.ts';
import { columnOf, type FlowResult, type RepeatSummary } from '../harness/scenario/results.ts';

export const PHASE_COLORS: Record<string, string> = {
  New: '#bdbdbd',
  Accepted: '#f6c85f',
  Prepared: '#ef8a3c',
  DatamoverDeploying: '#9d7fd6',
  InProgress: '#3b8bd9',
  Canceling: '#c4568a',
};
const PHASES = Object.keys(PHASE_COLORS);
const FLOW_COLORS = ['#d1495b', '#edae49', '#00798c', '#30638e', '#6a4c93', '#66a182'];
// No double quotes: the SVG puts the font in a double-quoted style attribute.
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

/** One chart as an SVG string (server-side rendering): no script and no network in the page. */
export function render(option: echarts.EChartsOption, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  chart.setOption({ animation: false, textStyle: { fontFamily: FONT }, ...option });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

/** Seconds on an axis, as h:mm when long. */
function timeAxis(name = 'simulated time (s)'): echarts.XAXisComponentOption {
  return { type: 'value', name, nameLocation: 'middle', nameGap: 28, min: 0, axisLabel: { formatter: (v: number) => Math.round(v).toLocaleString('en-US') } };
}

/** Every DataUpload's phases over time (a Gantt): one row per DataUpload, in creation order. */
export function ganttChart(flow: FlowResult, endAt: number): string {
  const dus = flow.dataUploads;
  const rows = dus.map((d) => d.name);
  const series: echarts.BarSeriesOption[] = [
    { name: 'offset', type: 'bar', stack: 't', itemStyle: { color: 'transparent' }, data: dus.map((d) => d.phases[0]?.at ?? 0), silent: true },
    ...PHASES.map(
      (phase): echarts.BarSeriesOption => ({
        name: phase,
        type: 'bar',
        stack: 't',
        barCategoryGap: 0,
        itemStyle: { color: PHASE_COLORS[phase] },
        data: dus.map((d) => {
          // Phases come in this order, each at most once; a DataUpload skips those it does not visit.
          const i = d.phases.findIndex((p) => p.phase === phase);
          if (i < 0) return 0;
          return (d.phases[i + 1]?.at ?? endAt) - d.phases[i].at;
        }),
      }),
    ),
  ];
  const height = Math.min(900, Math.max(240, 90 + rows.length * 2.2));
  return render(
    {
      title: { text: `${columnOf(flow)}: every DataUpload's phases`, left: 0, top: 0, textStyle: { fontSize: 13 } },
      legend: { data: PHASES, top: 22, left: 0, textStyle: { fontSize: 11 } },
      grid: { left: 60, right: 24, top: 60, bottom: 40 },
      xAxis: { ...timeAxis(), max: Math.ceil(endAt) },
      yAxis: { type: 'category', data: rows, inverse: true, name: `DataUploads (${rows.length})`, nameLocation: 'middle', nameGap: 8, axisLabel: { show: false }, axisTick: { show: false } },
      series,
    },
    900,
    height,
  );
}

/** Requested CPU held by data-mover pods over time: idle (pending, bound, stranded) vs busy, with fault windows. */
export function resourcesChart(flow: FlowResult, endAt: number, samples = 400): string {
  const step = Math.max(1, endAt / samples);
  const pending: [number, number][] = [];
  const boundIdle: [number, number][] = [];
  const stranded: [number, number][] = [];
  const busy: [number, number][] = [];
  for (let t = 0; t <= endAt; t += step) {
    let a = 0;
    let b = 0;
    let s = 0;
    let c = 0;
    for (const p of flow.pods) {
      if (t < p.createdAt || t >= (p.deletedAt ?? endAt)) continue;
      if (contains(p.moving, t)) c += p.cpuCores;
      else if (p.scheduledAt === undefined || t < p.scheduledAt) a += p.cpuCores;
      else if (contains(p.stranded, t)) s += p.cpuCores;
      else b += p.cpuCores;
    }
    pending.push([t, a]);
    boundIdle.push([t, b]);
    stranded.push([t, s]);
    busy.push([t, c]);
  }
  const faults = flow.faults
    .filter((f) => f.startedAt !== null)
    .map((f) => [{ name: f.name, xAxis: f.startedAt!, itemStyle: { color: 'rgba(209,73,91,0.12)' } }, { xAxis: Math.max(f.endedAt ?? endAt, f.startedAt! + step) }]);
  const area = (name: string, data: [number, number][], color: string, withFaults = false): echarts.LineSeriesOption => ({
    name,
    type: 'line',
    stack: 'cpu',
    step: 'end',
    symbol: 'none',
    lineStyle: { width: 0 },
    color,
    areaStyle: { color },
    data,
    ...(withFaults && faults.length ? { markArea: { silent: true, label: { fontSize: 10, color: '#a33' }, data: faults as never } } : {}),
  });
  return render(
    {
      title: { text: `${columnOf(flow)}: requested CPU held by data-mover pods`, left: 0, top: 0, textStyle: { fontSize: 13 } },
      legend: { top: 22, left: 0, textStyle: { fontSize: 11 } },
      grid: { left: 60, right: 24, top: 60, bottom: 40 },
      xAxis: { ...timeAxis(), max: Math.ceil(endAt) },
      yAxis: { type: 'value', name: 'CPU (cores)', nameLocation: 'middle', nameGap: 40 },
      series: [
        area('idle, pending', pending, '#f6c85f', true),
        area('idle, bound to a node', boundIdle, '#ef8a3c'),
        area('idle, stranded', stranded, '#b5485d'),
        area('busy (moving data)', busy, '#3b8bd9'),
      ],
    },
    900,
    280,
  );
}

/** Data-mover pods bound to each node over time. */
export function podsPerNodeChart(flow: FlowResult, endAt: number): string {
  const nodes = [...new Set(flow.pods.map((p) => p.node).filter((n): n is string => !!n))].sort();
  const series: echarts.LineSeriesOption[] = nodes.map((node, i) => {
    const events: [number, number][] = [];
    for (const p of flow.pods) {
      if (p.node !== node || p.scheduledAt === undefined) continue;
      events.push([p.scheduledAt, 1], [p.deletedAt ?? endAt, -1]);
    }
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let n = 0;
    const data: [number, number][] = [[0, 0]];
    for (const [t, d] of events) data.push([t, (n += d)]);
    data.push([endAt, n]);
    return { name: node, type: 'line', step: 'end', symbol: 'none', data, color: FLOW_COLORS[i % FLOW_COLORS.length] };
  });
  return render(
    {
      title: { text: `${columnOf(flow)}: data-mover pods per node`, left: 0, top: 0, textStyle: { fontSize: 13 } },
      legend: { top: 22, left: 0, textStyle: { fontSize: 11 } },
      grid: { left: 60, right: 24, top: 60, bottom: 40 },
      xAxis: { ...timeAxis(), max: Math.ceil(endAt) },
      yAxis: { type: 'value', name: 'pods', nameLocation: 'middle', nameGap: 40, minInterval: 1 },
      series,
    },
    900,
    240,
  );
}

/** Latency (created -> terminal) CDF, one line per flow. */
export function latencyCdfChart(flows: FlowResult[]): string {
  const series: echarts.LineSeriesOption[] = flows.map((f, i) => {
    const lat = f.dataUploads.filter((d) => d.outcome).map((d) => d.phases[d.phases.length - 1].at - d.phases[0].at).sort((a, b) => a - b);
    return { name: columnOf(f), type: 'line', step: 'end', symbol: 'none', color: FLOW_COLORS[i % FLOW_COLORS.length], data: lat.map((v, k) => [v, ((k + 1) / lat.length) * 100]) };
  });
  return render(
    {
      title: { text: 'Latency: created to terminal, per DataUpload', left: 0, top: 0, textStyle: { fontSize: 13 } },
      legend: { top: 22, left: 0, textStyle: { fontSize: 11 } },
      grid: { left: 60, right: 24, top: 60, bottom: 40 },
      xAxis: timeAxis('latency (s)'),
      yAxis: { type: 'value', name: 'DataUploads ended (%)', nameLocation: 'middle', nameGap: 40, max: 100 },
      series,
    },
    900,
    260,
  );
}

/** Backup volume provisioned over time, per flow: the GiB of backup PVCs Bound and not yet deleted (a step per change). */
export function backupVolumeChart(flows: FlowResult[], endOf: (f: FlowResult) => number): string {
  const series: echarts.LineSeriesOption[] = flows.map((f, i) => {
    const end = endOf(f);
    const steps: [number, number][] = [];
    for (const p of f.backupPvcs ?? []) {
      if (p.boundAt === undefined) continue;
      const gone = Math.min(p.deletedAt ?? end, end);
      if (gone > p.boundAt) steps.push([p.boundAt, p.gib], [gone, -p.gib]);
    }
    steps.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let held = 0;
    const data: [number, number][] = [[0, 0]];
    for (const [at, d] of steps) data.push([at, Math.round((held += d) * 1000) / 1000]);
    data.push([end, Math.max(0, Math.round(held * 1000) / 1000)]);
    return { name: columnOf(f), type: 'line', step: 'end', symbol: 'none', color: FLOW_COLORS[i % FLOW_COLORS.length], data };
  });
  return render(
    {
      title: { text: 'Backup volumes provisioned (backup PVCs Bound, not yet deleted)', left: 0, top: 0, textStyle: { fontSize: 13 } },
      legend: { top: 22, left: 0, textStyle: { fontSize: 11 } },
      grid: { left: 60, right: 24, top: 60, bottom: 40 },
      xAxis: timeAxis(),
      yAxis: { type: 'value', name: 'GiB', nameLocation: 'middle', nameGap: 40, min: 0 },
      series,
    },
    900,
    260,
  );
}

/** Outcomes by reason, a stacked bar per flow. */
export function outcomesChart(flows: FlowResult[]): string {
  const reasons = [...new Set(flows.flatMap((f) => Object.keys(f.figures.outcomesByReason)))].sort();
  const series: echarts.BarSeriesOption[] = [
    { name: 'Completed', type: 'bar', stack: 'o', color: '#66a182', data: flows.map((f) => f.figures.completed) },
    ...reasons.map((r, i): echarts.BarSeriesOption => ({ name: r, type: 'bar', stack: 'o', color: FLOW_COLORS[i % FLOW_COLORS.length], data: flows.map((f) => f.figures.outcomesByReason[r] ?? 0) })),
    ...(flows.some((f) => f.figures.unfinished) ? [{ name: 'unfinished', type: 'bar' as const, stack: 'o', color: '#999', data: flows.map((f) => f.figures.unfinished) }] : []),
  ];
  return render(
    {
      title: { text: 'Outcomes by reason', left: 0, top: 0, textStyle: { fontSize: 13 } },
      legend: { top: 22, left: 0, textStyle: { fontSize: 11 } },
      grid: { left: 150, right: 24, top: 60, bottom: 40 },
      xAxis: { type: 'value', name: 'DataUploads', nameLocation: 'middle', nameGap: 28, minInterval: 1 },
      yAxis: { type: 'category', data: flows.map(columnOf), inverse: true },
      series,
    },
    900,
    Math.max(180, 100 + flows.length * 40),
  );
}

/** With --repeat: one figure's mean per flow over the seeds, with its 95% confidence interval as whiskers. */
export function repeatChart(rep: RepeatSummary, figure: string, title: string, unit: string): string {
  const flows = Object.keys(rep.figures);
  const cis = flows.map((f) => rep.figures[f][figure]);
  return render(
    {
      title: { text: `${title}: mean over seeds ${rep.seeds[0]}..${rep.seeds[rep.seeds.length - 1]}, 95% interval`, left: 0, top: 0, textStyle: { fontSize: 13 } },
      grid: { left: 200, right: 24, top: 40, bottom: 40 },
      xAxis: { type: 'value', name: unit, nameLocation: 'middle', nameGap: 28, min: 0 },
      yAxis: { type: 'category', data: flows, inverse: true },
      series: [
        { type: 'bar', data: cis.map((c, i) => ({ value: c.mean, itemStyle: { color: FLOW_COLORS[i % FLOW_COLORS.length] } })), barWidth: '45%' },
        {
          type: 'custom',
          data: cis.map((c, i) => [i, Math.max(0, c.ci95[0]), c.ci95[1]]),
          renderItem: (_params, api) => {
            const y = api.value(0) as number;
            const lo = api.coord([api.value(1), y]);
            const hi = api.coord([api.value(2), y]);
            const h = 8;
            const style = { stroke: '#1d2330', lineWidth: 1.5 };
            return {
              type: 'group',
              children: [
                { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style },
                { type: 'line', shape: { x1: lo[0], y1: lo[1] - h, x2: lo[0], y2: lo[1] + h }, style },
                { type: 'line', shape: { x1: hi[0], y1: hi[1] - h, x2: hi[0], y2: hi[1] + h }, style },
              ],
            };
          },
          encode: { x: [1, 2], y: 0 },
          z: 10,
        },
      ],
    },
    900,
    Math.max(160, 80 + flows.length * 40),
  );
}
