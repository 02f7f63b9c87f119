import { Injectable, OnModuleInit } from '@nestjs/common';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertFileSafeId,
  isFileSafeId,
  nullPrototype,
  PathQueue,
  writeJsonAtomic,
} from '../common/json/json-files';
import { Session } from './session';
import { SessionStore } from './session-store';

/** The file in a session's folder that holds its record. */
export const SESSION_FILE = 'session.json';

/** Where a store reports a file it could not read (a log line; never a crash). */
export type StoreWarn = (fields: Record<string, unknown>) => void;

/**
 * Sessions as `<INBOUND_DIR>/<session id>/session.json` (the embedded shape: sessions
 * survive a restart). Every save and delete goes to disk (atomically: temp file and
 * rename, mode 0600) before it answers, over a map in memory that answers reads. The
 * map is loaded from disk once, before the first operation; a file that cannot be read
 * or parsed is skipped and reported through `warn`.
 */
@Injectable()
export class FileSessionStore extends SessionStore implements OnModuleInit {
  private readonly sessions = new Map<string, Session>();
  private readonly files = new PathQueue();
  private loading?: Promise<void>;

  constructor(
    private readonly inboundDir: string,
    private readonly warn: StoreWarn = () => undefined,
  ) {
    super();
  }

  /** Loads the sessions on disk (Nest awaits it at start; every operation awaits it too). */
  onModuleInit(): Promise<void> {
    return this.ready();
  }

  async save(session: Session): Promise<void> {
    await this.ready();
    const file = this.fileOf(session.id);
    this.sessions.set(session.id, revive(JSON.parse(JSON.stringify(session)) as Session));
    await this.files.run(file, async () => {
      // The latest state when the write's turn comes (a delete may have come between).
      const current = this.sessions.get(session.id);
      if (current) await writeJsonAtomic(file, current);
    });
  }

  async get(id: string): Promise<Session | undefined> {
    await this.ready();
    return this.sessions.get(id);
  }

  async delete(id: string): Promise<boolean> {
    await this.ready();
    if (!this.sessions.delete(id)) return false;
    const file = this.fileOf(id);
    await this.files.run(file, () => rm(file, { force: true }));
    return true;
  }

  async list(): Promise<Session[]> {
    await this.ready();
    return [...this.sessions.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  private ready(): Promise<void> {
    return (this.loading ??= this.load());
  }

  private fileOf(id: string): string {
    return join(this.inboundDir, assertFileSafeId(id), SESSION_FILE);
  }

  private async load(): Promise<void> {
    const entries = await readdir(this.inboundDir, { withFileTypes: true }).catch(() => []);
    const loaded: Session[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || !isFileSafeId(entry.name)) continue;
      const file = join(this.inboundDir, entry.name, SESSION_FILE);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        // A folder without a record (an upload that never finished, another entry).
        continue;
      }
      try {
        const session = revive(JSON.parse(text) as Session);
        if (!isSession(session) || session.id !== entry.name)
          throw new Error('not a session record');
        // The folder is where the record was found, should INBOUND_DIR have moved.
        loaded.push({ ...session, dir: join(this.inboundDir, entry.name) });
      } catch (error) {
        this.warn({
          msg: 'skipped a session record that could not be read',
          file,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    loaded.sort((a, b) => a.createdAt - b.createdAt);
    for (const session of loaded) this.sessions.set(session.id, session);
  }
}

/** JSON gives plain objects back: the user-keyed map gets its null prototype again. */
function revive(session: Session): Session {
  const renamed = session?.dataset?.renamedColumns;
  if (renamed && typeof renamed === 'object')
    session.dataset.renamedColumns = nullPrototype(renamed);
  return session;
}

function isSession(value: unknown): value is Session {
  const s = value as Session;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.id === 'string' &&
    typeof s.table === 'string' &&
    typeof s.dir === 'string' &&
    typeof s.owner === 'string' &&
    typeof s.createdAt === 'number' &&
    typeof s.expiresAt === 'number' &&
    typeof s.dataset === 'object' &&
    s.dataset !== null &&
    Array.isArray(s.dataset.columns) &&
    Array.isArray(s.dataset.dtypes) &&
    typeof s.dataset.rowCount === 'number'
  );
}
