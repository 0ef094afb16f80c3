import { GlassboxError } from '../errors.js';
import { CAPABILITIES, type Capability } from './capabilities.js';
import { optionsSchemaProblem, type PluginOptionsSchema } from './plugin-options.js';
import { PLUGIN_KINDS, type Plugin, type PluginKind, type PluginOfKind } from './plugin-types.js';

/** Where a plugin came from: built into glassbox, a file, or an npm package. */
export interface PluginSource {
  origin: 'built-in' | 'file' | 'package';
  /** 'built-in', the file's absolute path, or the package name. */
  location: string;
}

export const BUILT_IN: PluginSource = { origin: 'built-in', location: 'built-in' };

/** A registered plugin with its source. */
export interface RegisteredPlugin<P extends Plugin = Plugin> {
  plugin: P;
  source: PluginSource;
}

/** What `glassbox plugins --json` and GET /v1/plugins show of a plugin. */
export interface PluginInfo {
  kind: PluginKind;
  name: string;
  description: string;
  /** 'built-in', a path (its basename over HTTP) or a package name. */
  source: string;
  origin: PluginSource['origin'];
  requires: Capability[];
  options: PluginOptionsSchema;
}

/** The plugins of one kind. */
export interface PluginRegistry<P extends Plugin = Plugin> {
  readonly kind: PluginKind;
  /** Validates and adds a descriptor; PLUGIN_INVALID / PLUGIN_DUPLICATE name it and its source. */
  register(plugin: P, source?: PluginSource): P;
  /** What a plugin file exported, unchecked: validated the same way. */
  register(plugin: unknown, source?: PluginSource): P;
  /** The plugin named `name`; PLUGIN_UNKNOWN lists the registered names. */
  get(name: string): P;
  has(name: string): boolean;
  /** Registered names, in registration order. */
  names(): string[];
  entries(): RegisteredPlugin<P>[];
  sourceOf(name: string): PluginSource;
}

/** One registry per kind; `register` sends a descriptor to the registry of its kind. */
export type PluginRegistries = { readonly [K in PluginKind]: PluginRegistry<PluginOfKind<K>> } & {
  register(plugin: Plugin, source?: PluginSource): Plugin;
  register(plugin: unknown, source?: PluginSource): Plugin;
  /** Every registered plugin, kind by kind. */
  list(): PluginInfo[];
};

/** The function(s) each kind must have, and the optional ones that must be functions when present. */
const FUNCTIONS: Record<PluginKind, { required: string[]; optional: string[] }> = {
  explainer: { required: ['explain'], optional: ['cost'] },
  calibrator: { required: ['fit', 'apply'], optional: [] },
  abstention: { required: ['decide'], optional: [] },
  'drift-statistic': { required: ['compute'], optional: ['alarmThreshold', 'effect'] },
  observer: { required: ['observe'], optional: [] },
};
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** "explainer "x" (from /tmp/x.mjs)": how errors name a plugin. */
export function describePlugin(plugin: { kind?: unknown; name?: unknown }, source: PluginSource = BUILT_IN): string {
  const what = `${typeof plugin.kind === 'string' ? plugin.kind : 'plugin'} ${JSON.stringify(plugin.name)}`;
  return source.origin === 'built-in' ? `${what} (built-in)` : `${what} (from ${source.location})`;
}

/** Why `plugin` is not a valid descriptor of `kind` (any kind when omitted), or null. */
export function pluginProblem(plugin: unknown, kind?: PluginKind): string | null {
  if (!plugin || typeof plugin !== 'object' || Array.isArray(plugin)) return 'a plugin must be an object descriptor';
  const p = plugin as Record<string, unknown>;
  if (!PLUGIN_KINDS.includes(p.kind as PluginKind)) return `kind ${JSON.stringify(p.kind)} is not one of ${PLUGIN_KINDS.join(', ')}`;
  if (kind !== undefined && p.kind !== kind) return `kind is "${String(p.kind)}", but this registry holds ${kind} plugins`;
  if (typeof p.name !== 'string' || !NAME.test(p.name)) return 'name must be kebab-case (e.g. "attention-rollout")';
  if (typeof p.description !== 'string' || p.description.trim() === '') return 'description must be a non-empty string';
  if (p.requires !== undefined) {
    if (!Array.isArray(p.requires)) return 'requires must be a list of capabilities';
    const unknown = p.requires.find((c) => !(c in CAPABILITIES));
    if (unknown !== undefined) return `requires unknown capability ${JSON.stringify(unknown)}; known: ${Object.keys(CAPABILITIES).join(', ')}`;
  }
  const options = optionsSchemaProblem(p.options);
  if (options) return options;
  const { required, optional } = FUNCTIONS[p.kind as PluginKind];
  for (const f of required) if (typeof p[f] !== 'function') return `a ${String(p.kind)} must have a ${f}() function`;
  for (const f of optional) if (p[f] !== undefined && typeof p[f] !== 'function') return `${f} must be a function when given`;
  if (p.kind === 'drift-statistic') {
    const signals = p.signals;
    if (!Array.isArray(signals) || signals.length === 0 || !signals.every((s) => s === 'numeric' || s === 'categorical')) {
      return 'signals must list "numeric" and/or "categorical"';
    }
  }
  return null;
}

/** An empty registry for plugins of one kind. */
export function createPluginRegistry<K extends PluginKind>(kind: K): PluginRegistry<PluginOfKind<K>> {
  type P = PluginOfKind<K>;
  const plugins = new Map<string, RegisteredPlugin<P>>();
  const lookup = (name: string): RegisteredPlugin<P> => {
    const entry = plugins.get(name);
    if (!entry) {
      const valid = [...plugins.keys()];
      throw new GlassboxError('PLUGIN_UNKNOWN', `no ${kind} named ${JSON.stringify(name)}; registered: ${valid.length ? valid.join(', ') : '(none)'}`, {
        details: { kind, name, registered: valid },
      });
    }
    return entry;
  };
  return {
    kind,
    register(plugin: unknown, source: PluginSource = BUILT_IN): P {
      const problem = pluginProblem(plugin, kind);
      if (problem) {
        throw new GlassboxError('PLUGIN_INVALID', `${describePlugin((plugin ?? {}) as object, source)} is not a valid plugin: ${problem}`, {
          details: { source: source.location },
        });
      }
      const p = plugin as P;
      const existing = plugins.get(p.name);
      if (existing) {
        throw new GlassboxError(
          'PLUGIN_DUPLICATE',
          `${describePlugin(p, source)} has the name of ${describePlugin(existing.plugin, existing.source)}: rename one of them`,
          { details: { kind, name: p.name, source: source.location } },
        );
      }
      plugins.set(p.name, { plugin: p, source });
      return p;
    },
    get: (name) => lookup(name).plugin,
    has: (name) => plugins.has(name),
    names: () => [...plugins.keys()],
    entries: () => [...plugins.values()],
    sourceOf: (name) => lookup(name).source,
  };
}

/** One empty registry per plugin kind. */
export function createPluginRegistries(): PluginRegistries {
  const registries = Object.fromEntries(PLUGIN_KINDS.map((k) => [k, createPluginRegistry(k)])) as {
    [K in PluginKind]: PluginRegistry<PluginOfKind<K>>;
  };
  return {
    ...registries,
    register(plugin: unknown, source: PluginSource = BUILT_IN): Plugin {
      const kind = (plugin as { kind?: unknown } | null)?.kind;
      if (!PLUGIN_KINDS.includes(kind as PluginKind)) {
        const problem = pluginProblem(plugin) ?? 'unknown kind';
        throw new GlassboxError('PLUGIN_INVALID', `${describePlugin((plugin ?? {}) as object, source)} is not a valid plugin: ${problem}`, {
          details: { source: source.location },
        });
      }
      return (registries[kind as PluginKind] as PluginRegistry).register(plugin, source);
    },
    list: () =>
      PLUGIN_KINDS.flatMap((k) =>
        (registries[k] as PluginRegistry).entries().map(({ plugin, source }) => ({
          kind: plugin.kind,
          name: plugin.name,
          description: plugin.description,
          source: source.location,
          origin: source.origin,
          requires: [...(plugin.requires ?? [])],
          options: plugin.options ?? {},
        })),
      ),
  };
}
