import type { PluginInfo, PluginRegistries } from '@glassbox/core';

/** Every registered plugin's kind, name, source and requirements, as JSON or a table. */
export function pluginsCommand(registries: PluginRegistries, flags: { json?: boolean }, out: NodeJS.WritableStream): PluginInfo[] {
  const plugins = registries.list();
  if (flags.json) {
    out.write(`${JSON.stringify({ plugins }, null, 2)}\n`);
    return plugins;
  }
  const rows = plugins.map((p) => [p.kind, p.name, p.requires.join(',') || '-', p.source, p.description]);
  const header = ['kind', 'name', 'requires', 'source', 'description'];
  const widths = header.slice(0, 4).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `${r.slice(0, 4).map((c, i) => c.padEnd(widths[i])).join('  ')}  ${r[4]}`.trimEnd();
  out.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
  return plugins;
}

/** The values of every --plugin (or --plugin=VALUE) in argv, before the program is built. */
export function pluginSpecsIn(argv: readonly string[]): string[] {
  const specs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break;
    if (argv[i] === '--plugin' && i + 1 < argv.length) specs.push(argv[++i]);
    else if (argv[i].startsWith('--plugin=')) specs.push(argv[i].slice('--plugin='.length));
  }
  return specs;
}
