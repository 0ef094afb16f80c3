import * as d3 from 'd3';
import { COLORS, axisTitles, frame } from './frame.js';

export interface RatioRow {
  name: string;
  value: number;
  threshold: number;
  alarm: boolean;
}

/**
 * Horizontal bars of each statistic as a multiple of its alarm threshold (the line at 1x): the
 * statistics have different scales, the ratio puts them on one axis.
 */
export function ratioBars(container: HTMLElement, rows: readonly RatioRow[]): void {
  const margin = { top: 12, right: 24, bottom: 44, left: 150 };
  const height = Math.max(160, rows.length * 26 + margin.top + margin.bottom);
  const f = frame(container, 'Drift statistics against their alarm thresholds', 640, height, margin);
  const ratio = (r: RatioRow) => (r.threshold > 0 ? r.value / r.threshold : 0);
  const max = Math.max(2, d3.max(rows, ratio) ?? 0);
  const x = d3.scaleLinear().domain([0, max]).nice().range([0, f.width]);
  const y = d3
    .scaleBand<string>()
    .domain(rows.map((r) => r.name))
    .range([0, f.height])
    .padding(0.25);
  f.g.append('g').attr('class', 'axis').attr('transform', `translate(0,${f.height})`).call(d3.axisBottom(x).ticks(6).tickFormat((d) => `${String(d)}×`));
  f.g.append('g').attr('class', 'axis').call(d3.axisLeft(y));
  f.g
    .append('g')
    .selectAll('rect')
    .data(rows)
    .join('rect')
    .attr('class', 'bar')
    .attr('x', 0)
    .attr('y', (r) => y(r.name) ?? 0)
    .attr('height', y.bandwidth())
    .attr('width', (r) => x(Math.min(ratio(r), x.domain()[1])))
    .attr('fill', (r) => (r.alarm ? COLORS.alarm : COLORS.ok))
    .append('title')
    .text((r) => `${r.name}: ${r.value.toPrecision(3)} (threshold ${r.threshold.toPrecision(3)})`);
  f.g
    .append('line')
    .attr('class', 'threshold')
    .attr('x1', x(1))
    .attr('x2', x(1))
    .attr('y1', 0)
    .attr('y2', f.height)
    .attr('stroke', '#111827')
    .attr('stroke-dasharray', '4 3');
  axisTitles(f, 'statistic ÷ alarm threshold (alarm at ≥ 1×)', '', margin);
}
