import * as d3 from 'd3';
import { axisTitles, frame } from './frame.js';

export interface LineSeries {
  name: string;
  color: string;
  /** One value per x (null: a gap). */
  values: ReadonlyArray<number | null>;
}

export interface LineChartOptions {
  title: string;
  /** Times of the points, oldest first. */
  times: readonly Date[];
  series: readonly LineSeries[];
  xLabel: string;
  yLabel: string;
  /** y tick format (default: 3 decimals). */
  yFormat?: string;
  /** Smallest top of the y axis (default: the data's maximum). */
  yMin?: number;
  /** Horizontal dashed lines (alarm thresholds), each in its series' colour. */
  thresholds?: ReadonlyArray<{ name: string; color: string; value: number }>;
  /** Per point: whether it falls in a stretch to shade (windows below the minimum sample size), with the shading's title. */
  shaded?: { points: readonly boolean[]; title: string };
}

/** Lines over time, one per series, with a legend above the plot. */
export function lineChart(container: HTMLElement, o: LineChartOptions): void {
  const narrow = container.clientWidth > 0 && container.clientWidth < 520;
  const rows = Math.ceil(o.series.length / (narrow ? 2 : 4));
  const margin = { top: 14 + rows * 16, right: 16, bottom: 46, left: 58 };
  const f = frame(container, o.title, 640, 220 + rows * 16, margin);
  const [t0, t1] = d3.extent(o.times) as [Date | undefined, Date | undefined];
  const x = d3
    .scaleTime()
    .domain(t0 && t1 && +t1 > +t0 ? [t0, t1] : [new Date(+(t0 ?? 0) - 1000), new Date(+(t0 ?? 0) + 1000)])
    .range([0, f.width]);
  const thresholds = (o.thresholds ?? []).filter((t) => Number.isFinite(t.value));
  const max = Math.max(d3.max(o.series, (s) => d3.max(s.values, (v) => v ?? 0)) ?? 0, d3.max(thresholds, (t) => t.value) ?? 0);
  const y = d3
    .scaleLinear()
    .domain([0, Math.max(o.yMin ?? 0, max, 1e-3)])
    .nice()
    .range([f.height, 0]);
  f.g
    .append('g')
    .attr('class', 'axis x-axis')
    .attr('transform', `translate(0,${f.height})`)
    .call(d3.axisBottom<Date>(x).ticks(narrow ? 3 : 6).tickFormat(d3.timeFormat('%H:%M:%S')));
  f.g
    .append('g')
    .attr('class', 'axis y-axis')
    .call(d3.axisLeft(y).ticks(5, o.yFormat ?? '.3f'));
  shade(f.g, o, x, f.height);
  for (const t of thresholds) {
    const rule = f.g
      .append('line')
      .attr('class', 'threshold-line')
      .attr('x1', 0)
      .attr('x2', f.width)
      .attr('y1', y(t.value))
      .attr('y2', y(t.value))
      .attr('stroke', t.color)
      .attr('stroke-dasharray', '5 4')
      .attr('stroke-width', 1.5);
    rule.append('title').text(`${t.name} alarm threshold ${t.value.toFixed(4)}`);
  }
  const line = d3
    .line<number | null>()
    .defined((v) => v !== null && Number.isFinite(v))
    .x((_, i) => x(o.times[i]))
    .y((v) => y(v ?? 0));
  for (const s of o.series) {
    const path = f.g.append('path').attr('class', 'series-line').attr('fill', 'none').attr('stroke', s.color).attr('stroke-width', 2).attr('d', line([...s.values]));
    path.append('title').text(s.name);
    if (o.times.length === 1 && s.values[0] !== null) {
      f.g.append('circle').attr('cx', x(o.times[0])).attr('cy', y(s.values[0] ?? 0)).attr('r', 3).attr('fill', s.color);
    }
  }
  // Legend: wraps into rows above the plot.
  const perRow = narrow ? 2 : 4;
  const colWidth = f.width / perRow;
  const l = f.g.append('g').attr('class', 'legend');
  o.series.forEach((s, i) => {
    const row = l.append('g').attr('transform', `translate(${(i % perRow) * colWidth},${-margin.top + 14 + Math.floor(i / perRow) * 16})`);
    row.append('rect').attr('width', 14).attr('height', 4).attr('y', -5).attr('fill', s.color);
    row.append('text').attr('x', 18).attr('y', 0).text(s.name);
  });
  axisTitles(f, o.xLabel, o.yLabel, margin);
}

/** Grey bands over the stretches of consecutive shaded points (from the point before to the point after). */
function shade(g: d3.Selection<SVGGElement, unknown, null, undefined>, o: LineChartOptions, x: d3.ScaleTime<number, number>, height: number): void {
  const flags = o.shaded?.points ?? [];
  for (let i = 0; i < flags.length; i++) {
    if (!flags[i]) continue;
    let j = i;
    while (j + 1 < flags.length && flags[j + 1]) j++;
    const from = x(o.times[i]);
    const to = x(o.times[Math.min(j + 1, o.times.length - 1)]);
    const band = g
      .append('rect')
      .attr('class', 'below-minimum')
      .attr('x', from)
      .attr('y', 0)
      .attr('width', Math.max(3, to - from))
      .attr('height', height)
      .attr('fill', '#94a3b8')
      .attr('opacity', 0.25);
    band.append('title').text(o.shaded?.title ?? '');
    i = j;
  }
}
