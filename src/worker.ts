import 'reflect-metadata';
import { exitOnStartFailure } from './common/startup-checks';
import { NestFactory } from '@nestjs/core';
import { environment } from './config/load-environment';
import { WorkerModule } from './worker.module';

/** `npm run start:worker`: a job worker of the distributed shape (docs: scale-out in README). */
async function bootstrap(): Promise<void> {
  const env = environment();
  if (!env.REDIS_URL) {
    throw new Error(
      'A worker takes its jobs from Redis: set REDIS_URL (the same as the API nodes), ' +
        'or run `npm start` alone, which runs jobs itself',
    );
  }
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
  // Running jobs are stopped (they end `error`), waiting ones stay queued for other workers.
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  console.log(`AI Code Builder worker taking jobs (${env.APP_ENV})`);
}

bootstrap().catch(exitOnStartFailure);
