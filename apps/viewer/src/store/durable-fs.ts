import { open, rename } from 'node:fs/promises';

/** Writes a new file and fsyncs it, so it is complete on disk before anything points at it. */
export async function writeFileDurably(path: string, data: Buffer | string): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Fsyncs a directory so a rename or a new entry in it survives a power loss, not just a crash. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems refuse fsync on directories (EINVAL); the rename is still atomic there.
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
  } finally {
    await handle.close();
  }
}

/** Replaces `target` with `data` atomically: the old or the new content, never a mix. */
export async function replaceFileAtomically(target: string, tempPath: string, data: string, directory: string): Promise<void> {
  await writeFileDurably(tempPath, data);
  await rename(tempPath, target);
  await syncDirectory(directory);
}
