// kvctl backup --data-dir D --backup-dir B [--wal-dir W] [--backup-wal-dir BW]

import { DEFAULT_PROGRESS_INTERVAL_MS } from '../../../progress/index.js';
import { BackupError, backupDataDir } from '../backup.js';
import { ExitCode } from '../context.js';
import type { CommandAction } from './keys.js';

export const backup: CommandAction = async (ctx, flags) => {
  const dataDir = flags.string('data-dir');
  const backupDir = flags.string('backup-dir');
  if (dataDir === '' || backupDir === '') ctx.fail(ExitCode.BadArgs, '--data-dir and --backup-dir are required');
  const walDir = flags.string('wal-dir');
  const backupWalDir = flags.string('backup-wal-dir');
  try {
    backupDataDir(
      { dataDir, backupDir, ...(walDir !== '' && { walDir }), ...(backupWalDir !== '' && { backupWalDir }) },
      { intervalMs: DEFAULT_PROGRESS_INTERVAL_MS, report: (line) => ctx.err(`${line}\n`) },
    );
  } catch (e) {
    if (e instanceof BackupError || (e instanceof Error && 'code' in e)) ctx.fail(ExitCode.BadArgs, e);
    throw e;
  }
};
