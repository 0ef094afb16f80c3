import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GlassboxError } from '../errors.js';
import type { PluginRegistries, PluginSource } from './plugin-registry.js';
import type { Plugin } from './plugin-types.js';

export interface LoadPluginsOptions {
  /** Where relative paths and package names are resolved from (default: process.cwd()). */
  cwd?: string;
  /** The registries the plugins are added to. */
  registries: PluginRegistries;
}

const looksLikePath = (spec: string) => spec.startsWith('.') || isAbsolute(spec) || /\.(m|c)?[jt]s$/.test(spec);

/** Where `spec` (a file path or a package name) loads from, and its source. */
function resolveSpec(spec: string, cwd: string): { url: string; source: PluginSource } {
  const path = resolve(cwd, spec);
  if (looksLikePath(spec) || existsSync(path)) {
    if (!existsSync(path)) throw new GlassboxError('PLUGIN_LOAD_FAILED', `plugin file ${path} does not exist (from --plugin / plugins: "${spec}")`);
    return { url: pathToFileURL(path).href, source: { origin: 'file', location: path } };
  }
  try {
    const resolved = createRequire(join(cwd, 'package.json')).resolve(spec);
    return { url: pathToFileURL(resolved).href, source: { origin: 'package', location: spec } };
  } catch {
    // ESM-only packages may not resolve through require: let import() try.
    return { url: spec, source: { origin: 'package', location: spec } };
  }
}

/**
 * Imports each plugin file or package and registers what its default export holds: one plugin
 * descriptor or an array of them. Each is recorded with its source (the resolved path, or the
 * package name). A module that cannot be imported is PLUGIN_LOAD_FAILED; a bad descriptor
 * PLUGIN_INVALID; a clash PLUGIN_DUPLICATE: each names the plugin and where it came from.
 */
export async function loadPlugins(specs: readonly string[], options: LoadPluginsOptions): Promise<Plugin[]> {
  const cwd = options.cwd ?? process.cwd();
  const loaded: Plugin[] = [];
  for (const spec of specs) {
    const { url, source } = resolveSpec(spec, cwd);
    let module: Record<string, unknown>;
    try {
      module = (await import(url)) as Record<string, unknown>;
    } catch (error) {
      throw new GlassboxError('PLUGIN_LOAD_FAILED', `cannot load plugin ${source.location}: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
        details: { source: source.location },
      });
    }
    if (module.default === undefined) {
      throw new GlassboxError('PLUGIN_LOAD_FAILED', `plugin ${source.location} has no default export: export a plugin descriptor, or an array of them, as default`, {
        details: { source: source.location },
      });
    }
    const plugins = Array.isArray(module.default) ? module.default : [module.default];
    for (const plugin of plugins) loaded.push(options.registries.register(plugin, source));
  }
  return loaded;
}
