import type { PluginOptionSchema } from './plugin-options.js';
import type { AbstentionPlugin, CalibratorPlugin, DriftStatisticPlugin, ExplainerPlugin, ObserverPlugin } from './plugin-types.js';

/** The option values an options schema gives a plugin: numbers, strings (or an enum's union) and booleans. */
export type OptionValuesOf<S> = {
  -readonly [K in keyof S]: S[K] extends { enum: readonly (infer E)[] }
    ? E
    : S[K] extends { type: 'string' }
      ? string
      : S[K] extends { type: 'boolean' }
        ? boolean
        : number;
};

type Schema = Readonly<Record<string, PluginOptionSchema>>;
// The options schema, kept literal so the plugin's functions see typed option values.
type With<P, S> = Omit<P, 'options'> & { readonly options?: S };

/*
 * Typed identities: they only help the compiler. A plain object of the same shape (say, the
 * default export of a file with no imports) is just as valid a plugin.
 */
export function defineExplainer<const S extends Schema = Record<never, never>>(plugin: With<ExplainerPlugin<OptionValuesOf<S>>, S>): ExplainerPlugin<OptionValuesOf<S>> {
  return plugin as ExplainerPlugin<OptionValuesOf<S>>;
}

export function defineCalibrator<const S extends Schema = Record<never, never>, P = unknown>(
  plugin: With<CalibratorPlugin<OptionValuesOf<S>, P>, S>,
): CalibratorPlugin<OptionValuesOf<S>, P> {
  return plugin as CalibratorPlugin<OptionValuesOf<S>, P>;
}

export function defineAbstentionRule<const S extends Schema = Record<never, never>>(plugin: With<AbstentionPlugin<OptionValuesOf<S>>, S>): AbstentionPlugin<OptionValuesOf<S>> {
  return plugin as AbstentionPlugin<OptionValuesOf<S>>;
}

export function defineDriftStatistic<const S extends Schema = Record<never, never>>(
  plugin: With<DriftStatisticPlugin<OptionValuesOf<S>>, S>,
): DriftStatisticPlugin<OptionValuesOf<S>> {
  return plugin as DriftStatisticPlugin<OptionValuesOf<S>>;
}

export function defineObserver<const S extends Schema = Record<never, never>>(plugin: With<ObserverPlugin<OptionValuesOf<S>>, S>): ObserverPlugin<OptionValuesOf<S>> {
  return plugin as ObserverPlugin<OptionValuesOf<S>>;
}
