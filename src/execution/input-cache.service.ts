import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { access, chmod, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDbService } from '../duckdb/duckdb.service';
import { writeInputFrame } from '../table-transfer/input-frame';
import { Session } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';
import { DataSource } from './data-source';

const INPUT_FILE = 'sandbox-input.bin';

/** The upload's input file, or a job output's (chained steps): `sandbox-input-<job id>.bin`. */
function inputFileName(source: DataSource): string {
  return source.jobId === null ? INPUT_FILE : `sandbox-input-${source.jobId}.bin`;
}

/**
 * Which file holds a data source's rows as the sandbox reads them (the input frame,
 * written by table-transfer/input-frame.ts): written once per source (the upload, or a
 * job's output) into the session folder, then hard-linked into each job's sandbox.
 * Neither the upload nor an output ever changes, so the file stays valid for the session's
 * life (one written before a restart is used as it is: it appears only whole, by rename).
 */
@Injectable()
export class InputCache {
  /** By session id, then by source (input file name). */
  private readonly files = new Map<string, Map<string, Promise<string>>>();

  constructor(
    private readonly duckdb: DuckDbService,
    sessions: SessionsService,
  ) {
    sessions.onSessionEnd((session) => {
      this.files.delete(session.id);
    });
  }

  /** The input file of `source` (the session's upload, or one of its jobs' outputs). */
  fileFor(session: Session, source: DataSource): Promise<string> {
    let files = this.files.get(session.id);
    if (!files) {
      files = new Map();
      this.files.set(session.id, files);
    }
    const name = inputFileName(source);
    let file = files.get(name);
    if (!file) {
      const cached = files;
      file = this.export(session, source, name);
      cached.set(name, file);
      file.catch(() => cached.delete(name));
    }
    return file;
  }

  private async export(session: Session, source: DataSource, name: string): Promise<string> {
    const final = join(session.dir, name);
    if (await exists(final)) return final;
    const partial = `${final}.${randomBytes(4).toString('hex')}.part`;
    const { table, columns, dtypes, rowCount: rows } = source;
    try {
      await this.duckdb.withConnection((conn) =>
        writeInputFrame(conn, { table, columns, dtypes, rows }, partial),
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
