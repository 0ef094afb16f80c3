/** Rewrites the generated part of a Markdown file between two HTML comment markers. */

export const START_MARKER = '<!-- bench:start -->';
export const END_MARKER = '<!-- bench:end -->';

/**
 * `document` with everything between the markers replaced by `generated` (markers kept, prose
 * around them untouched). Throws when the markers are missing, repeated or out of order.
 */
export function replaceBetweenMarkers(document: string, generated: string): string {
  const start = document.indexOf(START_MARKER);
  const end = document.indexOf(END_MARKER);
  const single = (marker: string, at: number) => at >= 0 && document.indexOf(marker, at + marker.length) < 0;
  if (!single(START_MARKER, start) || !single(END_MARKER, end) || end < start) {
    throw new Error(`expected exactly one ${START_MARKER} followed by one ${END_MARKER}`);
  }
  return `${document.slice(0, start + START_MARKER.length)}\n${generated.trim()}\n${document.slice(end)}`;
}
