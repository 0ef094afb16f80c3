import { GlassboxError } from '../errors.js';
import type { Capability, ModelCapabilities, Plugin, PluginKind } from './plugin-types.js';

const KINDS: Record<PluginKind, string> = {
  explainer: 'explain',
  calibrator: 'calibrate',
  abstention: 'decide',
  observer: 'observe',
};
const CAPABILITIES: Record<Capability, keyof ModelCapabilities> = {
  attentions: 'attentions',
  'mask-token': 'maskToken',
};
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export interface PluginRegistry {
  register(plugin: Plugin): void;
  get<K extends PluginKind>(kind: K, name: string): Extract<Plugin, { kind: K }>;
  has(kind: PluginKind, name: string): boolean;
  list(kind?: PluginKind): Plugin[];
}

/**
 * Holds the plugins for one model. Registration validates the descriptor and checks the
 * model offers what the plugin requires, so a mismatch fails at once with a coded error.
 */
export function createPluginRegistry(capabilities: ModelCapabilities): PluginRegistry {
  const plugins = new Map<string, Plugin>();
  const key = (kind: string, name: string) => `${kind}:${name}`;
  return {
    register(plugin) {
      if (!plugin || typeof plugin !== 'object') {
        throw new GlassboxError('PLUGIN_INVALID', 'a plugin must be an object descriptor');
      }
      const method = KINDS[plugin.kind as PluginKind];
      if (!method) {
        throw new GlassboxError(
          'PLUGIN_INVALID',
          `plugin ${JSON.stringify(plugin.name)} has kind ${JSON.stringify(plugin.kind)}; valid kinds: ${Object.keys(KINDS).join(', ')}`,
        );
      }
      if (typeof plugin.name !== 'string' || !NAME.test(plugin.name)) {
        throw new GlassboxError('PLUGIN_INVALID', `plugin name ${JSON.stringify(plugin.name)} must be kebab-case (e.g. "attention-rollout")`);
      }
      if (typeof (plugin as unknown as Record<string, unknown>)[method] !== 'function') {
        throw new GlassboxError('PLUGIN_INVALID', `${plugin.kind} "${plugin.name}" must have a ${method}() function`);
      }
      if (plugins.has(key(plugin.kind, plugin.name))) {
        throw new GlassboxError('PLUGIN_DUPLICATE', `${plugin.kind} "${plugin.name}" is already registered`);
      }
      for (const need of plugin.requires ?? []) {
        const flag = CAPABILITIES[need];
        if (!flag) {
          throw new GlassboxError(
            'PLUGIN_INVALID',
            `${plugin.kind} "${plugin.name}" requires unknown capability "${need}"; known: ${Object.keys(CAPABILITIES).join(', ')}`,
          );
        }
        if (!capabilities[flag]) {
          throw new GlassboxError(
            'PLUGIN_CAPABILITY_MISSING',
            need === 'attentions'
              ? `${plugin.kind} "${plugin.name}" needs attention outputs, but the model graph has none: export it with attentions or run \`glassbox expose-attentions\` on it`
              : `${plugin.kind} "${plugin.name}" needs a mask token, but the tokenizer has none`,
          );
        }
      }
      plugins.set(key(plugin.kind, plugin.name), plugin);
    },
    get(kind, name) {
      const p = plugins.get(key(kind, name));
      if (!p) {
        const valid = [...plugins.values()].filter((x) => x.kind === kind).map((x) => x.name);
        throw new GlassboxError(
          'PLUGIN_UNKNOWN',
          `no ${kind} named "${name}"; registered: ${valid.length ? valid.join(', ') : '(none)'}`,
        );
      }
      return p as Extract<Plugin, { kind: typeof kind }>;
    },
    has: (kind, name) => plugins.has(key(kind, name)),
    list: (kind) => [...plugins.values()].filter((p) => kind === undefined || p.kind === kind),
  };
}
