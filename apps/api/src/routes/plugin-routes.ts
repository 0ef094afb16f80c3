import { missingCapabilities, PluginsResponseSchema } from '@glassbox/core';
import type { ApiContext } from '../api-context.js';
import { publicPluginInfo } from '../plugin-set.js';
import { defineRoute, type RouteSpec } from '../route-table.js';

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
          ...(info.kind === 'abstention' && { active: ctx.service.abstentionRules.includes(info.name) }),
        })),
      }),
    }),
  ];
}
