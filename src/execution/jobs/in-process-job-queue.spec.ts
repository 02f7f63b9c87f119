import { jobQueueContract } from '../../../test/contracts/job-queue.contract';
import { InProcessJobQueue } from './in-process-job-queue';

jobQueueContract('in process', async (limits) => ({
  queue: new InProcessJobQueue(limits, () => undefined),
}));
