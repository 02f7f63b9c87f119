import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request, RequestHandler, Response } from 'express';
import multer, { MulterError } from 'multer';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { extname } from 'node:path';
import { catchError, finalize, from, Observable } from 'rxjs';
import { UploadRejected, UploadTooLarge } from '../common/errors/domain-errors';
import { processScopedName } from '../common/process-scoped-dir';
import { budgetConfig, storageConfig, uploadConfig } from '../config/configuration';
import { incomingDir, StorageBudget } from '../storage/storage-budget.service';
import { extensionRejected } from './upload-errors';

export const UPLOAD_FIELD = 'file';
/** Room for the multipart boundaries and the small `sheet` field around the file. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/**
 * Streams the multipart `file` field to disk with multer (never whole in memory) and
 * stops reading as soon as the size limit (or the session's storage budget) is passed.
 * A refused upload's file is removed before the response is sent.
 */
@Injectable()
export class UploadFileInterceptor implements NestInterceptor {
  private readonly handler: RequestHandler;

  constructor(
    @Inject(uploadConfig.KEY) private readonly cfg: ConfigType<typeof uploadConfig>,
    @Inject(storageConfig.KEY) storage: ConfigType<typeof storageConfig>,
    @Inject(budgetConfig.KEY) private readonly budgets: ConfigType<typeof budgetConfig>,
    private readonly budget: StorageBudget,
  ) {
    const incoming = incomingDir(storage.inboundDir);
    this.handler = multer({
      storage: multer.diskStorage({
        destination: (_req, _file, done) => {
          mkdirSync(incoming, { recursive: true, mode: 0o700 });
          done(null, incoming);
        },
        // Named for this process, so the start-up sweep knows a crashed upload's leftover.
        filename: (_req, _file, done) => done(null, processScopedName('', randomUUID())),
      }),
      // Refuse a wrong extension as soon as the part header arrives, not after the upload.
      fileFilter: (_req, file, done) => {
        const extension = extname(file.originalname).toLowerCase();
        if (cfg.allowedExtensions.includes(extension)) return done(null, true);
        done(extensionRejected(extension, cfg.allowedExtensions));
      },
      limits: {
        fileSize: Math.min(cfg.maxBytes, budgets.sessionMaxBytes),
        files: 1,
        fields: 5,
        fieldSize: 1024,
        parts: 10,
      },
      defParamCharset: 'utf8',
    }).single(UPLOAD_FIELD);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    if (!req.is('multipart/form-data')) {
      req.resume();
      throw new UploadRejected(
        `Send the file as multipart/form-data, in the form field '${UPLOAD_FIELD}'`,
      );
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.cfg.maxBytes + MULTIPART_OVERHEAD_BYTES) {
      // Refuse before reading a byte of an upload that announces itself as too big.
      req.resume();
      throw new UploadTooLarge(this.cfg.maxBytes);
    }
    if (Number.isFinite(declared)) {
      // The file is at least the body less the room for the other parts.
      await this.budget
        .assertUploadFits(Math.max(0, declared - MULTIPART_OVERHEAD_BYTES), false)
        .catch((error: unknown) => {
          req.resume();
          throw error;
        });
    }
    await new Promise<void>((resolve, reject) =>
      this.handler(req, res, (error: unknown) => (error ? reject(this.explain(error)) : resolve())),
    );
    const removeFile = async (): Promise<void> => {
      if (req.file) await rm(req.file.path, { force: true });
    };
    if (req.file)
      await this.budget.assertUploadFits(req.file.size, true).catch(rethrowAfter(removeFile));
    // A request refused after the file landed (its form fields fail validation, ingest fails)
    // must not leave the file behind, and it is gone before the error response is sent.
    // After a success the upload has already moved it away.
    return next.handle().pipe(
      catchError((error: unknown) => from(rethrowAfter(removeFile)(error))),
      finalize(() => void removeFile()),
    );
  }

  private explain(error: unknown): Error {
    if (error instanceof UploadRejected) return error;
    if (error instanceof MulterError) {
      switch (error.code) {
        case 'LIMIT_FILE_SIZE':
          return this.budgets.sessionMaxBytes < this.cfg.maxBytes
            ? this.budget.uploadOverSessionBudget()
            : new UploadTooLarge(this.cfg.maxBytes);
        case 'LIMIT_UNEXPECTED_FILE':
          return new UploadRejected(
            `Unexpected file field '${error.field ?? ''}': send the file as '${UPLOAD_FIELD}'`,
          );
        case 'LIMIT_FILE_COUNT':
          return new UploadRejected('Send exactly one file');
        default:
          return new UploadRejected(`The upload was refused: ${error.message}`);
      }
    }
    const message = error instanceof Error ? error.message : String(error);
    return new UploadRejected(
      /Unexpected end of form|Malformed part header|boundary/i.test(message)
        ? 'The upload was incomplete or not valid multipart/form-data'
        : 'The upload could not be read',
    );
  }
}

/** Runs `cleanup`, then throws `error` again. */
function rethrowAfter(cleanup: () => Promise<void>): (error: unknown) => Promise<never> {
  return async (error: unknown) => {
    await cleanup().catch(() => undefined);
    throw error;
  };
}
