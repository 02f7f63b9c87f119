import { jobStoreContract } from '../../../test/contracts/job-store.contract';
import { InMemoryJobStore } from './in-memory-job-store';

jobStoreContract('in memory', async () => ({ store: new InMemoryJobStore() }));
