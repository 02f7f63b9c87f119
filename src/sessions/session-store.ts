import { Session } from './session';

/**
 * Where sessions live (port; in-memory today, a file or Redis next). Sessions are plain
 * data and do not change once saved; a store may hand back copies.
 */
export abstract class SessionStore {
  /** Stores the session under its id (replacing one with the same id). */
  abstract save(session: Session): Promise<void>;

  /** The session, expired or not, or undefined. */
  abstract get(id: string): Promise<Session | undefined>;

  /** Removes the session; true only for the one call that found it (so it ends once). */
  abstract delete(id: string): Promise<boolean>;

  /** Every stored session, expired ones included, oldest first. */
  abstract list(): Promise<Session[]>;
}
