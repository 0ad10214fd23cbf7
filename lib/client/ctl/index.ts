// kvctl, the command-line client: a drop-in for etcdctl's v2 commands.

export { main, type CtlIO } from './main.js';
export { BackupError, backupDataDir, type BackupPaths, type BackupResult } from './backup.js';
