// What the published package.json of a @glassbox/* package holds (pure; tested by manifest.test.mjs).

/** The file whose `version` is the version line every @glassbox/* package carries. */
export const VERSION_LINE_FILE = 'package.json';

/** The workspace folders that are published, in dependency order. */
export const PACKAGE_DIRS = [
  'models/emotion-mini',
  'libs/core',
  'libs/calibration',
  'libs/explain',
  'libs/monitor',
  'libs/finetune',
  'apps/dashboard',
  'apps/api',
  'apps/cli',
];

const DEPENDENCY_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies'];

/** Exports without the monorepo's `development` condition (it resolves to src/, not in the tarball). */
export function withoutDevelopmentCondition(exports) {
  if (exports === null || typeof exports !== 'object') return exports;
  if (Array.isArray(exports)) return exports.map(withoutDevelopmentCondition);
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([key]) => key !== 'development')
      .map(([key, value]) => [key, withoutDevelopmentCondition(value)]),
  );
}

/** Every @glassbox/* dependency whose range is not exactly `version`, as "name@range" texts. */
export function offLineDependencies(manifest, version) {
  const off = [];
  for (const field of DEPENDENCY_FIELDS) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (name.startsWith('@glassbox/') && range !== version) off.push(`${field}.${name}@${range}`);
    }
  }
  return off;
}

/** The manifest to publish from a workspace package.json; throws when it is off the version line. */
export function publishedManifest(manifest, version) {
  const off = offLineDependencies(manifest, version);
  if (manifest.version !== version) off.unshift(`version ${manifest.version}`);
  if (off.length > 0) {
    throw new Error(`${manifest.name} is off the version line ${version}: ${off.join(', ')} (see docs/versioning.md)`);
  }
  const { nx: _nx, devDependencies: _dev, scripts = {}, ...rest } = manifest;
  const { prepack: _pre, postpack: _post, ...keptScripts } = scripts;
  const out = { ...rest };
  if (out.exports !== undefined) out.exports = withoutDevelopmentCondition(out.exports);
  // Keep only scripts a consumer's install would run (none today); build scripts need the monorepo.
  const installScripts = Object.fromEntries(Object.entries(keptScripts).filter(([k]) => ['preinstall', 'install', 'postinstall'].includes(k)));
  if (Object.keys(installScripts).length > 0) out.scripts = installScripts;
  return out;
}

/** `manifest` moved to the version line `version`: its own version and its @glassbox/* dependencies. */
export function onVersionLine(manifest, version) {
  const out = { ...manifest, version };
  for (const field of DEPENDENCY_FIELDS) {
    if (!manifest[field]) continue;
    out[field] = Object.fromEntries(Object.entries(manifest[field]).map(([name, range]) => [name, name.startsWith('@glassbox/') ? version : range]));
  }
  return out;
}
