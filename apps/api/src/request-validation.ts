import { z } from 'zod';
import { ApiError } from './api-errors.js';

/** A text to classify: a non-empty string that is not only whitespace. */
export const TextSchema = z
  .string()
  .min(1, 'text is empty')
  .refine((s) => s.trim() !== '', { error: 'text is empty (only whitespace)', params: { empty: true } })
  .describe('A text to classify; must not be empty or only whitespace.');

/** One text or a non-empty list of texts. */
export const TextsSchema = z.union([TextSchema, z.array(TextSchema).min(1, 'the list of texts is empty')], {
  error: 'must be a text or a non-empty list of texts',
});

interface FlatIssue {
  path: PropertyKey[];
  message: string;
  empty: boolean;
}

/**
 * Flattens zod issues for people: a failed union reports the one branch whose type matched (its
 * inner issues), a missing field says so, and each path is reported once.
 */
function flatten(issues: readonly z.core.$ZodIssue[], base: PropertyKey[] = []): FlatIssue[] {
  const out: FlatIssue[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const matched = issue.errors.filter((branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0));
      const flatMatched = matched.map((branch) => flatten(branch, path));
      // One branch took the value's type, or every branch that did only objects to emptiness.
      if (matched.length === 1 || (matched.length > 1 && flatMatched.every((f) => f.every((i) => i.empty)))) {
        out.push(...flatMatched[0]);
        continue;
      }
      const missing = issue.errors.every((branch) => branch.every((i) => i.code === 'invalid_type' && /received undefined$/.test(i.message)));
      out.push({ path, message: missing ? 'is required' : issue.message, empty: false });
      continue;
    }
    let message = issue.message;
    if (issue.code === 'invalid_type' && /received undefined$/.test(message)) message = 'is required';
    const empty =
      (issue.code === 'too_small' && Number(issue.minimum) === 1 && (issue.origin === 'string' || issue.origin === 'array')) ||
      (issue.code === 'custom' && (issue.params as { empty?: boolean } | undefined)?.empty === true);
    out.push({ path, message, empty });
  }
  const seen = new Set<string>();
  return out.filter((i) => {
    const key = JSON.stringify(i.path.map(String));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'body';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/**
 * Parses a request body with its schema. Failures throw ApiError: EMPTY_INPUT when the only
 * problem is an empty text or list, else INVALID_REQUEST naming each bad field.
 */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body === undefined ? {} : body);
  if (result.success) return result.data;
  const issues = flatten(result.error.issues);
  const message = issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');
  throw new ApiError(issues.every((i) => i.empty) ? 'EMPTY_INPUT' : 'INVALID_REQUEST', message);
}

/** Parses a query string with its schema; failures throw INVALID_REQUEST naming each bad parameter. */
export function parseQuery<T>(schema: z.ZodType<T>, query: unknown): T {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  const message = flatten(result.error.issues)
    .map((i) => `query ${formatPath(i.path)}: ${i.message}`)
    .join('; ');
  throw new ApiError('INVALID_REQUEST', message);
}

/** A text or a list of texts as a list; too many gives TOO_MANY_INPUTS. */
export function textList(inputs: string | readonly string[], maxInputs: number): string[] {
  const texts = typeof inputs === 'string' ? [inputs] : [...inputs];
  if (texts.length > maxInputs) {
    throw new ApiError('TOO_MANY_INPUTS', `the request holds ${texts.length} texts; at most ${maxInputs} are allowed per request`);
  }
  return texts;
}
