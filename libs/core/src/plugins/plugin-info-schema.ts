import { z } from 'zod';
import { PLUGIN_KINDS } from './plugin-types.js';

/*
 * The wire shape of GET /v1/plugins, defined once: the API answers it, the dashboard type-imports
 * it to build its method lists.
 */

const PluginOptionInfoSchema = z.looseObject({
  type: z.enum(['number', 'integer', 'string', 'boolean']),
  default: z.union([z.number(), z.string(), z.boolean()]),
});

/** One registered plugin as clients see it (never an absolute path: `source` is a base name). */
export const PublicPluginInfoSchema = z.object({
  kind: z.enum(PLUGIN_KINDS),
  name: z.string(),
  description: z.string(),
  source: z.string().describe('"built-in", a plugin file\'s base name, or a package name.'),
  origin: z.enum(['built-in', 'file', 'package']),
  requires: z.array(z.string()).describe('Model capabilities it needs (attentions, mask-token, hidden-states).'),
  available: z.boolean().describe('The served model has every capability it requires.'),
  default: z.boolean().optional().describe('Explainers: run when a request names no methods.'),
  active: z.boolean().optional().describe('Abstention rules: the server abstains by this rule (started with --abstain).'),
  options: z.record(z.string(), PluginOptionInfoSchema).describe('Its options, each with a type and a default (JSON Schema subset).'),
});
export type PublicPluginInfo = z.infer<typeof PublicPluginInfoSchema>;

export const PluginsResponseSchema = z.object({ plugins: z.array(PublicPluginInfoSchema) });
