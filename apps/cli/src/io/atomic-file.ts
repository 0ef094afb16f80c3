import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { once } from 'node:events';
import { GlassboxError } from '@glassbox/core';

export interface AtomicFile {
  readonly stream: WriteStream;
  /** Flushes, closes and renames the temporary file onto the target path. */
  commit(): Promise<void>;
  /** Closes and deletes the temporary file; the target path is left as it was. */
  abort(): Promise<void>;
}

/** Temporary files not yet committed or aborted: a SIGINT or SIGTERM removes them before the process ends. */
const pending = new Set<string>();

function removePending(signal: NodeJS.Signals): void {
  for (const tmp of pending) rmSync(tmp, { force: true });
  pending.clear();
  forget();
  // Alone, this handler ends the process as the signal would have; beside another (serve's
  // graceful shutdown), that one decides.
  if (process.listenerCount(signal) === 0) process.exit(signal === 'SIGINT' ? 130 : 143);
}

function watch(tmp: string): void {
  if (pending.size === 0) {
    process.on('SIGINT', removePending);
    process.on('SIGTERM', removePending);
  }
  pending.add(tmp);
}

function forget(tmp?: string): void {
  if (tmp !== undefined) pending.delete(tmp);
  if (pending.size === 0) {
    process.off('SIGINT', removePending);
    process.off('SIGTERM', removePending);
  }
}

/**
 * Writes to a temporary file beside `path` and renames it into place on commit, so the target
 * is either the previous file or the complete new one, never half-written.
 */
export async function openAtomicFile(path: string): Promise<AtomicFile> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  const stream = createWriteStream(tmp, { flags: 'wx' });
  watch(tmp);
  try {
    await once(stream, 'open');
  } catch (cause) {
    forget(tmp);
    throw new GlassboxError('OUTPUT_FILE', `cannot write ${path}: ${(cause as Error).message}`, { cause });
  }
  let done = false;
  const close = async () => {
    if (!stream.closed) {
      stream.end();
      await once(stream, 'close');
    }
  };
  return {
    stream,
    async commit() {
      if (done) return;
      done = true;
      try {
        await close();
        await rename(tmp, path);
        forget(tmp);
      } catch (cause) {
        await rm(tmp, { force: true });
        forget(tmp);
        throw new GlassboxError('OUTPUT_FILE', `cannot write ${path}: ${(cause as Error).message}`, { cause });
      }
    },
    async abort() {
      if (done) return;
      done = true;
      stream.destroy();
      await rm(tmp, { force: true });
      forget(tmp);
    },
  };
}

/** Writes a whole small file atomically. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const file = await openAtomicFile(path);
  try {
    if (!file.stream.write(content)) await once(file.stream, 'drain');
    await file.commit();
  } catch (e) {
    await file.abort();
    throw e;
  }
}

/** Awaits backpressure so a fast producer never buffers a whole output in memory. */
export async function writeLine(stream: WriteStream, line: string): Promise<void> {
  if (!stream.write(line)) await once(stream, 'drain');
}
