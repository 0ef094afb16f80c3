import { homedir } from 'node:os';
import { basename, resolve } from 'node:path';

/**
 * Replaces this machine's file paths in text meant for a client: each of `paths` (as given and
 * resolved to an absolute path) becomes its base name, then the working directory becomes '.'
 * and the home directory '~'. Longest first, so a file inside a listed directory keeps its
 * relative part ('/srv/glassbox/calibrations/calibration-v2.json' -> 'calibrations/calibration-v2.json').
 */
export function createPathRedactor(paths: readonly string[]): (text: string) => string {
  const pairs = new Map<string, string>();
  for (const p of paths) {
    const trimmed = p.replace(/[/\\]+$/, '');
    if (trimmed === '' || trimmed === '.') continue;
    const name = basename(trimmed) || trimmed;
    for (const form of new Set([trimmed, resolve(trimmed)])) if (form.length > 1) pairs.set(form, name);
  }
  const cwd = process.cwd();
  if (cwd.length > 1 && !pairs.has(cwd)) pairs.set(cwd, '.');
  let home = '';
  try {
    home = homedir();
  } catch {
    // no home directory: nothing to hide there
  }
  if (home.length > 1 && !pairs.has(home)) pairs.set(home, '~');
  const ordered = [...pairs].sort((a, b) => b[0].length - a[0].length);
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // A whole path only: '/srv/app' is not replaced inside '/srv/apple'.
  const pattern = ordered.length === 0 ? null : new RegExp(`(?:${ordered.map(([p]) => escape(p)).join('|')})(?=$|[\\\\/\\s'"\`.:,;)\\]])`, 'g');
  const names = new Map(ordered);
  return (text) => (pattern === null ? text : text.replace(pattern, (path) => names.get(path) ?? path));
}
