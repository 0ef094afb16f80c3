import { GlassboxError } from '../errors.js';
import { BUILT_IN, describePlugin, type PluginSource } from './plugin-registry.js';

/** An error that already carries a code (a GlassboxError, an HTTP error, an abort) is passed on as it is. */
const isCoded = (e: unknown) =>
  e instanceof GlassboxError ||
  (e instanceof Error && (e.name === 'AbortError' || (typeof (e as { code?: unknown }).code === 'string' && typeof (e as { status?: unknown }).status === 'number')));

/**
 * Runs a plugin's function; anything it throws that carries no code becomes PLUGIN_FAILED naming
 * the plugin and its source, so the request fails cleanly and the process lives on.
 */
export async function runPlugin<T>(plugin: { kind: string; name: string }, source: PluginSource = BUILT_IN, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isCoded(error)) throw error;
    throw new GlassboxError('PLUGIN_FAILED', `${describePlugin(plugin, source)} failed: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
      details: { kind: plugin.kind, name: plugin.name },
    });
  }
}
