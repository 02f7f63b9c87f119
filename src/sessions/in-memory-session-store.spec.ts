import { sessionStoreContract } from '../../test/contracts/session-store.contract';
import { InMemorySessionStore } from './in-memory-session-store';

sessionStoreContract('in memory', async () => ({ store: new InMemorySessionStore() }));
