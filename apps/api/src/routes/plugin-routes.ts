import { z } from 'zod';
import { missingCapabilities, PLUGIN_KINDS } from '@glassbox/core';
import type { ApiContext } from '../api-context.js';
import { publicPluginInfo } from '../plugin-set.js';
import { defineRoute, type RouteSpec } from '../route-table.js';

const OptionSchema = z.looseObject({ type: z.enum(['number', 'integer', 'string', 'boolean']), default: z.union([z.number(), z.string(), z.boolean()]) });

export const PluginsResponseSchema = z.object({
  plugins: z.array(
    z.object({
      kind: z.enum(PLUGIN_KINDS),
      name: z.string(),
      description: z.string(),
      source: z.string().describe('"built-in", a plugin file\'s base name, or a package name.'),
      origin: z.enum(['built-in', 'file', 'package']),
      requires: z.array(z.string()).describe('Model capabilities it needs (attentions, mask-token, hidden-states).'),
      available: z.boolean().describe('The served model has every capability it requires.'),
      default: z.boolean().optional().describe('Explainers: run when a request names no methods.'),
      options: z.record(z.string(), OptionSchema).describe('Its options, each with a type and a default (JSON Schema subset).'),
    }),
  ),
});

/** GET /v1/plugins: every registered plugin, so clients (the dashboard) derive their lists from the server. */
export function pluginRoutes(ctx: ApiContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/plugins',
      operationId: 'plugins',
      summary: 'Every registered plugin (explainers, calibrators, abstention rules, drift statistics, observers): kind, name, source, requirements and options.',
      tag: 'glassbox',
      response: PluginsResponseSchema,
      errors: [],
      handle: () => ({
        plugins: ctx.plugins.list().map((info) => ({
          ...publicPluginInfo(info),
          available: missingCapabilities(info.requires, ctx.service.capabilities).length === 0,
          ...(info.kind === 'explainer' && { default: ctx.plugins.explainer.get(info.name).byDefault === true }),
        })),
      }),
    }),
  ];
}
