import * as d3 from 'd3';
import type { ReliabilityBin } from '../api-client.js';
import { axisTitles, frame, legend } from './frame.js';

export interface ReliabilitySeries {
  name: string;
  color: string;
  bins: readonly ReliabilityBin[];
}

/** Reliability diagram: accuracy against mean confidence per bin, with the diagonal of perfect calibration. */
export function reliabilityDiagram(container: HTMLElement, series: readonly ReliabilitySeries[]): void {
  const margin = { top: 28, right: 16, bottom: 48, left: 56 };
  const f = frame(container, 'Reliability diagram: accuracy against confidence', 520, 420, margin);
  const x = d3.scaleLinear().domain([0, 1]).range([0, f.width]);
  const y = d3.scaleLinear().domain([0, 1]).range([f.height, 0]);
  f.g.append('g').attr('class', 'axis').attr('transform', `translate(0,${f.height})`).call(d3.axisBottom(x).ticks(5, '.0%'));
  f.g.append('g').attr('class', 'axis').call(d3.axisLeft(y).ticks(5, '.0%'));
  f.g
    .append('line')
    .attr('class', 'diagonal')
    .attr('x1', x(0))
    .attr('y1', y(0))
    .attr('x2', x(1))
    .attr('y2', y(1))
    .attr('stroke', '#94a3b8')
    .attr('stroke-dasharray', '4 4');
  // Bin gap bars (confidence - accuracy) of the calibrated series, faint, as context.
  const line = d3
    .line<ReliabilityBin>()
    .x((b) => x(b.meanConfidence))
    .y((b) => y(b.accuracy));
  for (const s of series) {
    const bins = s.bins.filter((b) => !b.empty && b.count > 0);
    const maxCount = d3.max(bins, (b) => b.count) ?? 1;
    f.g
      .append('path')
      .attr('class', 'reliability-line')
      .datum(bins)
      .attr('d', line)
      .attr('fill', 'none')
      .attr('stroke', s.color)
      .attr('stroke-width', 2);
    f.g
      .append('g')
      .selectAll('circle')
      .data(bins)
      .join('circle')
      .attr('cx', (b) => x(b.meanConfidence))
      .attr('cy', (b) => y(b.accuracy))
      .attr('r', (b) => 3 + 5 * Math.sqrt(b.count / maxCount))
      .attr('fill', s.color)
      .attr('fill-opacity', 0.7)
      .append('title')
      .text(
        (b) =>
          `${s.name}: (${b.lower.toFixed(2)}, ${b.upper.toFixed(2)}] n=${b.count}, confidence ${(b.meanConfidence * 100).toFixed(1)}%, accuracy ${(b.accuracy * 100).toFixed(1)}%`,
      );
  }
  legend(f, [...series, { name: 'perfect calibration', color: '#94a3b8' }]);
  axisTitles(f, 'mean confidence in bin', 'accuracy in bin', margin);
}
