/** Where and with what a run was measured: printed with every run and written to BENCHMARKS.md. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';

export interface MachineInfo {
  node: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  /** ISO date and time of the run (UTC). */
  date: string;
  /** onnxruntime-node as libs/core resolves it (glassbox's runtime). */
  onnxruntimeNode: string;
  transformersJs: string;
  /** onnxruntime-node as @huggingface/transformers resolves it (the peer's runtime). */
  transformersOnnxruntimeNode: string;
}

/**
 * The version of package `name` as `fromPackage` (a folder with a package.json) resolves it: its
 * package.json, found directly or, where the package's exports hide it, above its entry point.
 */
function installedVersion(repoRoot: string, fromPackage: string, name: string): string {
  const require = createRequire(join(repoRoot, fromPackage, 'package.json'));
  const candidates: string[] = [];
  try {
    candidates.push(require.resolve(`${name}/package.json`));
  } catch {
    try {
      for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) candidates.push(join(dir, 'package.json'));
    } catch {
      return 'unknown';
    }
  }
  for (const path of candidates) {
    try {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === name && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // not this folder; try the next one up
    }
  }
  return 'unknown';
}

/** Facts about this machine and the runtimes under test. */
export function machineInfo(repoRoot: string, now = new Date()): MachineInfo {
  const all = cpus();
  return {
    node: process.version,
    cpu: all[0]?.model.trim() ?? 'unknown',
    cores: all.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    date: now.toISOString().replace(/\.\d+Z$/, 'Z'),
    // core's onnxruntime-node is the one glassbox loads; transformers.js resolves its own.
    onnxruntimeNode: installedVersion(repoRoot, 'libs/core', 'onnxruntime-node'),
    transformersJs: installedVersion(repoRoot, '.', '@huggingface/transformers'),
    transformersOnnxruntimeNode: installedVersion(repoRoot, 'node_modules/@huggingface/transformers', 'onnxruntime-node'),
  };
}

/** Two-column Markdown rows describing the machine. */
export function machineRows(info: MachineInfo): string[][] {
  return [
    ['date', info.date],
    ['CPU', `${info.cpu}, ${info.cores} cores (os.cpus())`],
    ['memory', `${info.memoryGiB} GiB`],
    ['OS', info.os],
    ['Node', info.node],
    ['onnxruntime-node', `${info.onnxruntimeNode} (glassbox); ${info.transformersOnnxruntimeNode} (transformers.js)`],
    ['@huggingface/transformers', info.transformersJs],
  ];
}
