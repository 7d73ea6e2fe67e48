// The sweep page's heatmaps: ECharts rendered to SVG strings when the page is generated
// (server-side rendering, as reports/charts.ts does), so the page needs no script and no network.
// Every cell is labelled with its value; cells can be framed (the frontier).
import type * as echarts from 'echarts';
import { render } from './charts.ts';

const CELL = { width: 76, height: 34 };
const MARGIN = { left: 96, right: 16, top: 52, bottom: 52 };

export interface HeatmapCell {
  /** Index into the x values, and into the y values (0 with one row). */
  x: number;
  y: number;
  /** What the colour says; null: no value (drawn in the lowest colour, labelled "–"). */
  value: number | null;
  text: string;
  framed: boolean;
}

export interface Heatmap {
  title: string;
  subtitle?: string;
  x: { name: string; values: string[] };
  /** Absent: one row. */
  y?: { name: string; values: string[] };
  cells: HeatmapCell[];
  /** The colour scale's ends, shared by the heatmaps of one figure so flows compare by colour. */
  range: [number, number];
  colors: string[];
}

export function heatmapChart(h: Heatmap): string {
  const ys = h.y?.values ?? [''];
  const width = Math.max(300, MARGIN.left + MARGIN.right + h.x.values.length * CELL.width);
  const height = MARGIN.top + MARGIN.bottom + ys.length * CELL.height;
  const [min, max] = h.range[1] > h.range[0] ? h.range : [h.range[0], h.range[0] + 1];
  // The frames, drawn over every cell (a cell's own border would be half hidden by its neighbours).
  const frames: echarts.CustomSeriesOption = {
    type: 'custom',
    silent: true,
    z: 10,
    data: h.cells.filter((c) => c.framed).map((c) => [c.x, c.y]),
    renderItem: (_params, api) => {
      const [cx, cy] = api.coord([api.value(0), api.value(1)]);
      const [w, hh] = api.size!([1, 1]) as number[];
      return { type: 'rect', shape: { x: cx - w / 2 + 1.5, y: cy - hh / 2 + 1.5, width: w - 3, height: hh - 3 }, style: { fill: 'none', stroke: '#1d2330', lineWidth: 3 } };
    },
  };
  return render(
    {
      title: { text: h.title, subtext: h.subtitle, left: 0, top: 0, itemGap: 2, textStyle: { fontSize: 13 }, subtextStyle: { fontSize: 11 } },
      grid: { ...MARGIN, containLabel: false },
      xAxis: { type: 'category', data: h.x.values, name: h.x.name, nameLocation: 'middle', nameGap: 26, splitArea: { show: false }, axisTick: { show: false } },
      yAxis: { type: 'category', data: ys, name: h.y?.name ?? '', nameLocation: 'middle', nameGap: 60, axisTick: { show: false } },
      visualMap: { show: false, min, max, dimension: 2, seriesIndex: 0, inRange: { color: h.colors } },
      series: [
        {
          type: 'heatmap',
          itemStyle: { borderColor: '#fff', borderWidth: 1 },
          label: { show: true, fontSize: 11, color: '#1d2330', textBorderColor: 'rgba(255,255,255,0.85)', textBorderWidth: 2, formatter: (p: { dataIndex: number }) => h.cells[p.dataIndex].text },
          data: h.cells.map((c) => [c.x, c.y, c.value ?? min]),
        },
        frames,
      ],
    },
    width,
    height,
  );
}
