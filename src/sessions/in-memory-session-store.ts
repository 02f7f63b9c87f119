import { Injectable } from '@nestjs/common';
import { Session } from './session';
import { SessionStore } from './session-store';

/** Sessions in this process's memory. */
@Injectable()
export class InMemorySessionStore extends SessionStore {
  private readonly sessions = new Map<string, Session>();

  async save(session: Session): Promise<void> {
    this.sessions.set(session.id, { ...session });
  }

  async get(id: string): Promise<Session | undefined> {
    return this.sessions.get(id);
  }

  async delete(id: string): Promise<boolean> {
    return this.sessions.delete(id);
  }

  async list(): Promise<Session[]> {
    return [...this.sessions.values()];
  }
}
