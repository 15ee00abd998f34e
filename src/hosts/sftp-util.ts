import type { Client, SFTPWrapper, Stats } from 'ssh2';

/** SFTP status code for a missing file (SSH_FX_NO_SUCH_FILE). */
const NO_SUCH_FILE = 2;

export function openSftp(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
}

/** The file's stats, or null when it does not exist. */
export function sftpStat(sftp: SFTPWrapper, path: string): Promise<Stats | null> {
  return new Promise((resolve, reject) =>
    sftp.stat(path, (err, stats) => {
      if (!err) resolve(stats);
      else if ((err as Error & { code?: number }).code === NO_SUCH_FILE) resolve(null);
      else reject(err);
    }),
  );
}

export function sftpPut(
  sftp: SFTPWrapper,
  localPath: string,
  remotePath: string,
  mode: number,
): Promise<void> {
  return new Promise((resolve, reject) =>
    sftp.fastPut(localPath, remotePath, { mode }, (err) => (err ? reject(err) : resolve())),
  );
}

/** Downloads a file of the host to `localPath`, made 0600. */
export function sftpGet(sftp: SFTPWrapper, remotePath: string, localPath: string): Promise<void> {
  return new Promise((resolve, reject) =>
    sftp.fastGet(remotePath, localPath, { mode: 0o600 }, (err) => (err ? reject(err) : resolve())),
  );
}

/**
 * Renames over an existing file: OpenSSH's posix-rename (atomic); servers without it get remove-then-rename,
 * since plain SFTP rename refuses to overwrite.
 */
export async function sftpRename(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) =>
      sftp.ext_openssh_rename(from, to, (err) => (err ? reject(err) : resolve())),
    );
    return;
  } catch (err) {
    if (!/does not support/.test((err as Error).message)) throw err;
  }
  await sftpUnlink(sftp, to).catch(() => undefined);
  await new Promise<void>((resolve, reject) =>
    sftp.rename(from, to, (err) => (err ? reject(err) : resolve())),
  );
}

export function sftpUnlink(sftp: SFTPWrapper, path: string): Promise<void> {
  return new Promise((resolve, reject) => sftp.unlink(path, (err) => (err ? reject(err) : resolve())));
}

export function sftpWriteFile(sftp: SFTPWrapper, path: string, data: Buffer, mode: number): Promise<void> {
  return new Promise((resolve, reject) =>
    sftp.writeFile(path, data, { mode }, (err) => (err ? reject(err) : resolve())),
  );
}
