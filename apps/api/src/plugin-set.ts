import { basename } from 'node:path';
import { z } from 'zod';
import { createPluginRegistries, loadPlugins, type PluginInfo, type PluginOptionsSchema, type PluginRegistries } from '@glassbox/core';
import { BUILTIN_ABSTENTION_RULES, BUILTIN_CALIBRATORS } from '@glassbox/calibration';
import { BUILTIN_EXPLAINERS } from '@glassbox/explain';
import { BUILTIN_DRIFT_STATISTICS } from '@glassbox/monitor';

/**
 * Every plugin kind's registry: glassbox's built-ins first (source "built-in"), then the plugin
 * files and packages in `specs`, in order (relative paths and package names resolved from `cwd`).
 * A spec that does not load, or a descriptor that does not validate, rejects with its coded error.
 */
export async function openPluginRegistries(specs: readonly string[] = [], cwd = process.cwd()): Promise<PluginRegistries> {
  const registries = builtinPluginRegistries();
  await loadPlugins(specs, { cwd, registries });
  return registries;
}

/** Every plugin kind's registry, holding glassbox's built-in plugins only. */
export function builtinPluginRegistries(): PluginRegistries {
  const registries = createPluginRegistries();
  for (const plugin of [...BUILTIN_EXPLAINERS, ...BUILTIN_CALIBRATORS, ...BUILTIN_ABSTENTION_RULES, ...BUILTIN_DRIFT_STATISTICS]) registries.register(plugin);
  return registries;
}

/** A plugin as the HTTP API shows it: a file by its base name, never its absolute path. */
export function publicPluginInfo(info: PluginInfo): PluginInfo {
  return { ...info, source: info.origin === 'file' ? basename(info.source) : info.source };
}

/** The zod schema of a plugin's options (each optional; its default in the description). */
export function pluginOptionsZod(schema: PluginOptionsSchema | undefined): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, s] of Object.entries(schema ?? {})) {
    let t: z.ZodType;
    if (s.type === 'boolean') t = z.boolean();
    else if (s.type === 'string') t = s.enum && s.enum.length > 0 ? z.enum(s.enum as [string, ...string[]]) : z.string();
    else {
      let n = s.type === 'integer' ? z.int() : z.number();
      if (s.minimum !== undefined) n = n.min(s.minimum);
      if (s.maximum !== undefined) n = n.max(s.maximum);
      t = n;
    }
    shape[key] = t.optional().describe(`${s.description ? `${s.description} ` : ''}Default: ${JSON.stringify(s.default)}.`);
  }
  return z.strictObject(shape);
}
