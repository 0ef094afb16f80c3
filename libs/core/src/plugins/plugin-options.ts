import { GlassboxError } from '../errors.js';

/**
 * One option of a plugin, in a subset of JSON Schema (so a plugin file needs no import, and the
 * API derives its zod schema and so /openapi.json from it).
 */
export type PluginOptionSchema =
  | { type: 'number' | 'integer'; default: number; minimum?: number; maximum?: number; description?: string }
  | { type: 'string'; default: string; enum?: readonly string[]; description?: string }
  | { type: 'boolean'; default: boolean; description?: string };

/** Option name (camelCase) -> its schema. Every option has a default. */
export type PluginOptionsSchema = Readonly<Record<string, PluginOptionSchema>>;

/** The resolved option values of an options schema. */
export type PluginOptionValues = Record<string, number | string | boolean>;

const OPTION_NAME = /^[a-z][a-zA-Z0-9]*$/;

/** Why `schema` is not a valid options schema, or null. */
export function optionsSchemaProblem(schema: unknown): string | null {
  if (schema === undefined) return null;
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return 'options must be an object of option schemas';
  for (const [key, s] of Object.entries(schema as Record<string, unknown>)) {
    if (!OPTION_NAME.test(key)) return `option name "${key}" must be camelCase`;
    const o = s as Record<string, unknown>;
    if (!o || typeof o !== 'object') return `option "${key}" must be a schema object`;
    if (!['number', 'integer', 'string', 'boolean'].includes(o.type as string)) {
      return `option "${key}" has type ${JSON.stringify(o.type)}; valid: number, integer, string, boolean`;
    }
    if (o.enum !== undefined && (o.type !== 'string' || !Array.isArray(o.enum) || o.enum.length === 0 || !o.enum.every((v) => typeof v === 'string'))) {
      return `option "${key}": enum must be a non-empty list of strings, on a string option`;
    }
    for (const bound of ['minimum', 'maximum'] as const) {
      if (o[bound] !== undefined && (typeof o[bound] !== 'number' || (o.type !== 'number' && o.type !== 'integer'))) {
        return `option "${key}": ${bound} must be a number, on a number or integer option`;
      }
    }
    const problem = valueProblem(o as PluginOptionSchema, o.default);
    if (problem) return `option "${key}" default: ${problem}`;
  }
  return null;
}

function valueProblem(s: PluginOptionSchema, v: unknown): string | null {
  if (s.type === 'boolean') return typeof v === 'boolean' ? null : `must be true or false, got ${JSON.stringify(v)}`;
  if (s.type === 'string') {
    if (typeof v !== 'string') return `must be a string, got ${JSON.stringify(v)}`;
    return s.enum && !s.enum.includes(v) ? `must be one of ${s.enum.join(', ')}, got "${v}"` : null;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) return `must be a number, got ${JSON.stringify(v)}`;
  if (s.type === 'integer' && !Number.isInteger(v)) return `must be an integer, got ${v}`;
  if (s.minimum !== undefined && v < s.minimum) return `must be at least ${s.minimum}, got ${v}`;
  if (s.maximum !== undefined && v > s.maximum) return `must be at most ${s.maximum}, got ${v}`;
  return null;
}

/**
 * The plugin's options: its defaults overridden by `values`; an unknown option or a value outside
 * its schema is INVALID_OPTION naming the plugin and the option.
 */
export function resolvePluginOptions(
  plugin: { kind: string; name: string; options?: PluginOptionsSchema },
  values: Readonly<Record<string, unknown>> = {},
): PluginOptionValues {
  const schema = plugin.options ?? {};
  const out: PluginOptionValues = {};
  for (const [key, s] of Object.entries(schema)) out[key] = s.default;
  for (const [key, v] of Object.entries(values)) {
    if (v === undefined) continue;
    const s = schema[key];
    if (!s) {
      const valid = Object.keys(schema);
      throw new GlassboxError(
        'INVALID_OPTION',
        `${plugin.kind} "${plugin.name}" has no option "${key}"; its options: ${valid.length ? valid.join(', ') : '(none)'}`,
      );
    }
    const problem = valueProblem(s, v);
    if (problem) throw new GlassboxError('INVALID_OPTION', `${plugin.kind} "${plugin.name}" option "${key}" ${problem}`);
    out[key] = v as number | string | boolean;
  }
  return out;
}

/** The options schema as a JSON Schema object (what the API turns into zod and OpenAPI). */
export function optionsJsonSchema(schema: PluginOptionsSchema | undefined): Record<string, unknown> {
  const properties = Object.fromEntries(
    Object.entries(schema ?? {}).map(([key, s]) => [key, { ...s, ...('enum' in s && s.enum && { enum: [...s.enum] }) }]),
  );
  return { type: 'object', properties, additionalProperties: false };
}
