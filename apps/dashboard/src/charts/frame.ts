import * as d3 from 'd3';

export interface Margins {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export interface Frame {
  svg: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  g: d3.Selection<SVGGElement, unknown, null, undefined>;
  width: number;
  height: number;
}

/** An SVG that scales with its container (viewBox), with an inner plotting area and a title for screen readers. */
export function frame(container: HTMLElement, title: string, width: number, height: number, margin: Margins): Frame {
  d3.select(container).selectAll('svg').remove();
  // On narrow screens draw at the container's width, so the text is not scaled down to nothing.
  const available = container.clientWidth;
  if (available > 0 && available < width) width = Math.max(300, available);
  const svg = d3
    .select(container)
    .append('svg')
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('preserveAspectRatio', 'xMidYMid meet')
    .attr('role', 'img')
    .attr('class', 'chart');
  svg.append('title').text(title);
  const g = svg.append('g').attr('transform', `translate(${margin.left},${margin.top})`);
  return { svg, g, width: width - margin.left - margin.right, height: height - margin.top - margin.bottom };
}

/** Axis titles: x centred below, y rotated on the left. */
export function axisTitles(f: Frame, x: string, y: string, margin: Margins): void {
  f.g
    .append('text')
    .attr('class', 'axis-title')
    .attr('x', f.width / 2)
    .attr('y', f.height + margin.bottom - 6)
    .attr('text-anchor', 'middle')
    .text(x);
  f.g
    .append('text')
    .attr('class', 'axis-title')
    .attr('transform', 'rotate(-90)')
    .attr('x', -f.height / 2)
    .attr('y', -margin.left + 14)
    .attr('text-anchor', 'middle')
    .text(y);
}

/** A row of coloured swatches with names, above the plot. */
export function legend(f: Frame, items: ReadonlyArray<{ name: string; color: string; dashed?: boolean }>): void {
  const l = f.g.append('g').attr('class', 'legend').attr('transform', 'translate(0,-14)');
  let x = 0;
  for (const item of items) {
    const row = l.append('g').attr('transform', `translate(${x},0)`);
    row.append('rect').attr('width', 12).attr('height', 12).attr('y', -10).attr('fill', item.color);
    row.append('text').attr('x', 16).attr('y', 0).text(item.name);
    x += 28 + item.name.length * 7;
  }
}

export const COLORS = { raw: '#9aa5b1', calibrated: '#2563eb', window: '#d97706', reference: '#64748b', alarm: '#dc2626', ok: '#16a34a' };
