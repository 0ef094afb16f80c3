import * as d3 from 'd3';
import { axisTitles, frame, legend } from './frame.js';

export interface BarSeries {
  name: string;
  color: string;
  values: Record<string, number>;
}

export interface GroupedBarsOptions {
  title: string;
  categories: readonly string[];
  series: readonly BarSeries[];
  xLabel: string;
  yLabel: string;
  /** Top of the y axis (default: 1). */
  yMax?: number;
  /** Category drawn highlighted (e.g. the predicted label). */
  highlight?: string;
}

/** Vertical bars per category, one per series side by side, with value labels. */
export function groupedBars(container: HTMLElement, o: GroupedBarsOptions): void {
  const narrow = container.clientWidth > 0 && container.clientWidth < 520;
  const margin = { top: 28, right: 12, bottom: narrow ? 72 : 52, left: 52 };
  const f = frame(container, o.title, 640, narrow ? 280 : 250, margin);
  const x = d3.scaleBand<string>().domain(o.categories).range([0, f.width]).padding(0.2);
  const inner = d3
    .scaleBand<string>()
    .domain(o.series.map((s) => s.name))
    .range([0, x.bandwidth()])
    .padding(0.08);
  const y = d3
    .scaleLinear()
    .domain([0, o.yMax ?? 1])
    .nice()
    .range([f.height, 0]);
  const xAxis = f.g.append('g').attr('class', 'axis x-axis').attr('transform', `translate(0,${f.height})`).call(d3.axisBottom(x));
  if (narrow) xAxis.selectAll('.tick text').attr('transform', 'rotate(-35)').attr('text-anchor', 'end').attr('dx', '-0.3em').attr('dy', '0.6em');
  f.g.append('g').attr('class', 'axis y-axis').call(d3.axisLeft(y).ticks(5, '.0%'));
  if (o.highlight) {
    f.g
      .selectAll('.x-axis .tick text')
      .filter((d) => d === o.highlight)
      .attr('font-weight', 'bold');
  }
  const rows = o.categories.flatMap((c) => o.series.map((s) => ({ c, s, v: s.values[c] ?? 0 })));
  const bar = f.g
    .append('g')
    .selectAll('g')
    .data(rows)
    .join('g')
    .attr('transform', (d) => `translate(${(x(d.c) ?? 0) + (inner(d.s.name) ?? 0)},0)`);
  bar
    .append('rect')
    .attr('class', 'bar')
    .attr('y', (d) => y(d.v))
    .attr('width', inner.bandwidth())
    .attr('height', (d) => f.height - y(d.v))
    .attr('fill', (d) => d.s.color)
    .append('title')
    .text((d) => `${d.c} (${d.s.name}): ${(d.v * 100).toFixed(1)}%`);
  if (inner.bandwidth() > 18) {
    bar
      .append('text')
      .attr('class', 'bar-value')
      .attr('x', inner.bandwidth() / 2)
      .attr('y', (d) => y(d.v) - 3)
      .attr('text-anchor', 'middle')
      .text((d) => (d.v >= 0.005 ? (d.v * 100).toFixed(0) : ''));
  }
  if (o.series.length > 1) legend(f, o.series);
  axisTitles(f, o.xLabel, o.yLabel, margin);
}
