import * as d3 from 'd3';
import { axisTitles, frame } from './frame.js';

/** Histogram of values in [0, 1] as shares per bin. */
export function histogram(container: HTMLElement, title: string, values: readonly number[], color: string, xLabel: string): void {
  const margin = { top: 16, right: 12, bottom: 48, left: 52 };
  const f = frame(container, title, 640, 260, margin);
  const x = d3.scaleLinear().domain([0, 1]).range([0, f.width]);
  const bins = d3
    .bin()
    .domain([0, 1])
    .thresholds(d3.range(0.1, 1, 0.1))([...values]);
  const total = Math.max(1, values.length);
  const y = d3
    .scaleLinear()
    .domain([0, Math.max(0.1, d3.max(bins, (b) => b.length / total) ?? 0)])
    .nice()
    .range([f.height, 0]);
  f.g.append('g').attr('class', 'axis').attr('transform', `translate(0,${f.height})`).call(d3.axisBottom(x).ticks(10, '.0%'));
  f.g.append('g').attr('class', 'axis').call(d3.axisLeft(y).ticks(5, '.0%'));
  f.g
    .append('g')
    .selectAll('rect')
    .data(bins)
    .join('rect')
    .attr('class', 'bar')
    .attr('x', (b) => x(b.x0 ?? 0) + 1)
    .attr('width', (b) => Math.max(0, x(b.x1 ?? 0) - x(b.x0 ?? 0) - 2))
    .attr('y', (b) => y(b.length / total))
    .attr('height', (b) => f.height - y(b.length / total))
    .attr('fill', color)
    .append('title')
    .text((b) => `${((b.x0 ?? 0) * 100).toFixed(0)}–${((b.x1 ?? 0) * 100).toFixed(0)}%: ${b.length}`);
  axisTitles(f, xLabel, 'share of predictions', margin);
}
