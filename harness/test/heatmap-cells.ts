// For tests: what a sweep page's heatmaps show, read from the SVG text (no browser): per
// heatmap figure, its data attributes, each cell with the label drawn inside it, and the frames.
export interface HeatmapSeen {
  flow: string;
  figure: string;
  slice: string;
  /** Each cell's label ('' if none is drawn inside it), in drawing order. */
  cells: string[];
  /** Frontier frames drawn over cells. */
  frames: number;
  svg: string;
}

export function heatmapsOf(html: string): HeatmapSeen[] {
  return [...html.matchAll(/<figure data-chart="heatmap"([^>]*)>([\s\S]*?)<\/figure>/g)].map(([, attrs, svg]) => {
    const attr = (name: string) => new RegExp(`data-${name}="([^"]*)"`).exec(attrs)?.[1] ?? '';
    return { flow: attr('flow'), figure: attr('figure'), slice: attr('slice'), ...cellsOf(svg), svg };
  });
}

/** The heatmap series' cells (ECharts SSR: series 0's rectangles) and the labels whose anchor lies inside each. */
export function cellsOf(svg: string): { cells: string[]; frames: number } {
  const rects = [...svg.matchAll(/<path d="M(-?[\d.]+) (-?[\d.]+)l(-?[\d.]+) 0l0 (-?[\d.]+)[^"]*"[^>]*ecmeta_series_index="0"/g)].map((m) => m.slice(1, 5).map(Number));
  const texts = [...svg.matchAll(/<text([^>]*)>([^<]*)<\/text>/g)].flatMap(([, attrs, text]) => {
    const t = /transform="translate\((-?[\d.]+) (-?[\d.]+)\)"/.exec(attrs);
    return t ? [{ x: Number(t[1]), y: Number(t[2]), text }] : [];
  });
  const cells = rects.map(([x, y, w, h]) => texts.filter((t) => t.x > x && t.x < x + w && t.y > y && t.y < y + h).map((t) => t.text).join(' '));
  const frames = [...svg.matchAll(/<path [^>]*stroke-width="3"[^>]*ecmeta_series_index="1"/g)].length;
  return { cells, frames };
}
