import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { lastLines, MissingPrerequisite, step } from './log';
import { onPath } from './paths';
import { freePort, startProcess, waitFor } from './processes';

export interface DatabaseServer {
  /** URL of an account allowed to create databases (tests create one per suite). */
  adminUrl: string;
  /** URL of the application database. */
  url: string;
  port: number;
  /** The server process (the bench reads its CPU time). */
  pid: number | undefined;
  stop(): Promise<void>;
  /** SIGKILL: a crash (chaos runs restart it on the same data). */
  kill(): Promise<void>;
  /** How the server ended, or undefined while it runs. */
  exitStatus(): string | undefined;
  /** The server's own error log: why it stopped, when it did. */
  errorLog: string;
}

const SERVER_CANDIDATES = ['mariadbd', 'mysqld', '/usr/sbin/mariadbd', '/usr/sbin/mysqld'];
const INSTALL_DB_CANDIDATES = [
  'mariadb-install-db',
  'mysql_install_db',
  '/usr/bin/mariadb-install-db',
  '/usr/bin/mysql_install_db',
];

function which(candidates: string[]): string | undefined {
  for (const c of candidates) {
    if (c.startsWith('/')) {
      if (existsSync(c)) return c;
      continue;
    }
    const found = onPath(c);
    if (found) return found;
  }
  return undefined;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Finds mariadbd/mysqld; on Debian as root installs mariadb-server when none is there. */
function ensureServerBinaries(): { server: string; installDb: string } {
  let server = which(SERVER_CANDIDATES);
  if (!server) {
    const debian = existsSync('/etc/debian_version');
    if (!(debian && isRoot())) {
      throw new MissingPrerequisite(
        'no MySQL-compatible server found: install MariaDB 10.11+ or MySQL 8 (on Debian/Ubuntu: apt-get install mariadb-server), or set DATABASE_URL.',
      );
    }
    step('no MySQL-compatible server found; installing mariadb-server with apt-get (about a minute)…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'mariadb-server']]) {
      const r = spawnSync('apt-get', args, { env, encoding: 'utf8' });
      if (r.status !== 0) {
        throw new MissingPrerequisite(
          `apt-get ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`,
        );
      }
    }
    server = which(SERVER_CANDIDATES);
    if (!server)
      throw new MissingPrerequisite('mariadb-server was installed but mariadbd is not found; install it by hand.');
    step('installed mariadb-server');
  }
  const installDb = which(INSTALL_DB_CANDIDATES);
  if (!installDb) throw new MissingPrerequisite('mariadb-install-db is missing; install mariadb-server.');
  return { server, installDb };
}

export interface StartDatabaseOptions {
  dataDir: string;
  /** Throwaway test servers trade durability for speed. */
  throwaway: boolean;
  port?: number;
  database: string;
}

const APP_USER = 'nexaspay';
const APP_PASSWORD = 'nexaspay';

/**
 * Starts a private MariaDB server with its data under `dataDir`, on loopback only, and creates
 * the application account and database. The system's own MariaDB service is never touched.
 */
export async function startPrivateDatabase(opts: StartDatabaseOptions): Promise<DatabaseServer> {
  const { server, installDb } = ensureServerBinaries();
  mkdirSync(opts.dataDir, { recursive: true });
  const userArgs = isRoot() ? ['--user=root'] : [];
  if (!existsSync(path.join(opts.dataDir, 'mysql'))) {
    const r = spawnSync(
      installDb,
      [
        '--no-defaults',
        `--datadir=${opts.dataDir}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        ...userArgs,
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) {
      throw new MissingPrerequisite(
        `initialising the database in ${opts.dataDir} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`,
      );
    }
  }
  const port = opts.port ?? (await freePort());
  // Unix socket paths are limited to ~107 bytes; keep it short and outside deep checkouts.
  const socket = path.join(os.tmpdir(), `nexaspay-mysql-${port}.sock`);
  const errorLog = path.join(opts.dataDir, 'error.log');
  // Internal temporary tables go to a directory of this server's own (beside its data: a
  // folder inside would show as a database), so nothing that cleans the system's /tmp can
  // remove one between its creation and its opening.
  const tmpDir = `${opts.dataDir}-tmp`;
  mkdirSync(tmpDir, { recursive: true });
  const args = [
    '--no-defaults',
    `--datadir=${opts.dataDir}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${socket}`,
    `--pid-file=${path.join(opts.dataDir, 'mysqld.pid')}`,
    `--log-error=${errorLog}`,
    `--tmpdir=${tmpDir}`,
    // Tables kept open (every test suite has a database of its own) and on-disk temporary
    // tables (two descriptors each) need file descriptors, and MariaDB 10.11 crashes when it
    // cannot open such a table (db/triggers.ts): the limit is set far above what any of our
    // stacks needs rather than left to the shell's default.
    '--open-files-limit=65535',
    '--skip-log-bin',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    '--default-time-zone=+00:00',
    '--max-connections=1000',
    '--innodb-buffer-pool-size=256M',
    ...(opts.throwaway
      ? ['--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=0', '--skip-innodb-adaptive-hash-index']
      : []),
    ...userArgs,
  ];
  const proc = startProcess(server, args, { logFile: path.join(opts.dataDir, 'stdout.log') });
  await waitFor(
    'the database server',
    async () => {
      if (proc.child.exitCode !== null) {
        const tail = lastLines(errorLog, 3).join(' | ');
        throw new MissingPrerequisite(`the database server exited (code ${proc.child.exitCode}): ${tail}`);
      }
      try {
        const c = await mysql.createConnection({ socketPath: socket, user: 'root' });
        await c.end();
        return true;
      } catch {
        return false;
      }
    },
    60_000,
  );
  const root = await mysql.createConnection({ socketPath: socket, user: 'root' });
  try {
    for (const host of ['127.0.0.1', 'localhost']) {
      await root.query(`CREATE USER IF NOT EXISTS '${APP_USER}'@'${host}' IDENTIFIED BY '${APP_PASSWORD}'`);
      await root.query(`GRANT ALL PRIVILEGES ON *.* TO '${APP_USER}'@'${host}' WITH GRANT OPTION`);
    }
    await root.query(
      `CREATE DATABASE IF NOT EXISTS \`${opts.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await root.end();
  }
  const base = `mysql://${APP_USER}:${APP_PASSWORD}@127.0.0.1:${port}`;
  return {
    adminUrl: `${base}/`,
    url: `${base}/${opts.database}`,
    port,
    pid: proc.child.pid,
    stop: proc.stop,
    kill: proc.kill,
    exitStatus: proc.exitStatus,
    errorLog,
  };
}
