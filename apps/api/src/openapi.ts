import { z } from 'zod';
import { ErrorBodySchema } from '@glassbox/core';
import { documentedErrorCodes } from './api-errors.js';
import type { RouteSpec } from './route-table.js';

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

type JsonSchema = Record<string, unknown>;

/** JSON Schema 2020-12 of a zod schema, as OpenAPI 3.1 takes it (no `$schema`). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}


const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Missing or invalid API key',
  403: 'Not allowed: no API key and not a loopback client, a wrong feedback_token, or a Host not allowed',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict with the stored state',
  413: 'Request body too large',
  415: 'Not JSON, or an unsupported charset or encoding',
  422: 'Request exceeds a limit or cannot be processed',
  424: 'Backend failure (TEI)',
  429: 'Rate limited',
  500: 'Internal error',
  503: 'Not ready',
};

/** One `in: query` parameter per property of a query object schema. */
function queryParameters(schema: z.ZodType): JsonSchema[] {
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: 'query',
      required: json.required?.includes(name) ?? false,
      ...(typeof description === 'string' && { description }),
      schema: rest,
    };
  });
}

/**
 * The OpenAPI 3.1 document of the routes, generated from the same zod schemas that validate
 * their requests; error codes are listed in the Error schema's description.
 */
export function buildOpenApiDocument(routes: readonly RouteSpec[], info: OpenApiInfo): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters: JsonSchema[] = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (route.query) parameters.push(...queryParameters(route.query));
    const mediaType = route.contentType ? route.contentType.split(';')[0].trim() : 'application/json';
    const responses: Record<string, unknown> = {
      '200': { description: 'OK', content: { [mediaType]: { schema: jsonSchema(route.response, 'output') } } },
    };
    const errors = new Set(route.errors);
    if (route.admin || route.tokenAuth) errors.add(401).add(403);
    if (route.body) errors.add(415); // every JSON route refuses other media types
    for (const status of [...errors].sort((a, b) => a - b)) {
      responses[String(status)] = {
        description: STATUS_TEXT[status] ?? 'Error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    paths[route.path] ??= {};
    paths[route.path][route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      ...(parameters.length > 0 && { parameters }),
      ...(route.body && {
        requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } },
      }),
      responses,
      ...(route.admin && { security: [{ bearer: [] }] }),
      // The bearer key, or (the empty requirement) the body's per-prediction token.
      ...(route.tokenAuth && { security: [{ bearer: [] }, {}] }),
    };
  }
  const codes = documentedErrorCodes()
    .map((c) => `- \`${c.code}\` (${c.status}): ${c.summary}`)
    .join('\n');
  return {
    openapi: '3.1.0',
    info,
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: { ...jsonSchema(ErrorBodySchema, 'output'), description: `Every error response. Codes:\n${codes}` } },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'The server\'s apiKey. A server started without one answers these routes for loopback clients only (403 FORBIDDEN otherwise). POST /v1/feedback also takes the prediction\'s feedback_token in the body instead.',
        },
      },
    },
  };
}
