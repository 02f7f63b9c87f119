import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { access, chmod, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDbService } from '../duckdb/duckdb.service';
import { writeInputFrame } from '../table-transfer/input-frame';
import { Session } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';

const INPUT_FILE = 'sandbox-input.bin';

/**
 * Which file holds the session's rows as the sandbox reads them (the input frame,
 * written by table-transfer/input-frame.ts): written once per session into the
 * session folder, then hard-linked into each job's sandbox.
 * The upload never changes, so the file stays valid for the session's life (one written
 * before a restart is used as it is: it appears only whole, by rename).
 */
@Injectable()
export class InputCache {
  private readonly files = new Map<string, Promise<string>>();

  constructor(
    private readonly duckdb: DuckDbService,
    sessions: SessionsService,
  ) {
    sessions.onSessionEnd((session) => {
      this.files.delete(session.id);
    });
  }

  fileFor(session: Session): Promise<string> {
    let file = this.files.get(session.id);
    if (!file) {
      file = this.export(session);
      this.files.set(session.id, file);
      file.catch(() => this.files.delete(session.id));
    }
    return file;
  }

  private async export(session: Session): Promise<string> {
    const final = join(session.dir, INPUT_FILE);
    if (await exists(final)) return final;
    const partial = `${final}.${randomBytes(4).toString('hex')}.part`;
    const { columns, dtypes, rowCount: rows } = session.dataset;
    try {
      await this.duckdb.withConnection((conn) =>
        writeInputFrame(conn, { table: session.table, columns, dtypes, rows }, partial),
      );
      // Read-only for everyone: sandboxes (uid nobody) read it through a hard link.
      await chmod(partial, 0o444);
      await rename(partial, final);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return final;
  }
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
