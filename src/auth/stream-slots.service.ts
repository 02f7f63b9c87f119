import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { LimitReached } from '../common/errors/domain-errors';
import { aiConfig } from '../config/configuration';

/** Open model streams per client: MAX_STREAMS_PER_CLIENT at once. */
@Injectable()
export class StreamSlots {
  /** Start times (ms since epoch) of each client's open streams. */
  private readonly open = new Map<string, Set<{ startedAtMs: number }>>();

  constructor(@Inject(aiConfig.KEY) private readonly cfg: ConfigType<typeof aiConfig>) {}

  /** Open streams of the client. */
  openFor(client: string): number {
    return this.open.get(client)?.size ?? 0;
  }

  /**
   * Takes a slot for the client and returns the function that frees it (safe to call
   * more than once). LimitReached (429) when the client has MAX_STREAMS_PER_CLIENT open;
   * its retry time is when the oldest reaches AI_REQUEST_TIMEOUT_SECONDS at the latest.
   */
  acquire(client: string): () => void {
    const max = this.cfg.maxStreamsPerClient;
    let slots = this.open.get(client);
    if (slots && slots.size >= max) {
      const oldest = Math.min(...[...slots].map((s) => s.startedAtMs));
      const retryAfterSeconds = Math.max(
        1,
        Math.ceil((oldest + this.cfg.requestTimeoutMs - Date.now()) / 1000),
      );
      throw new LimitReached(
        `You already have ${max} model streams open (MAX_STREAMS_PER_CLIENT); wait for one ` +
          `to end, or try again in ${retryAfterSeconds} s`,
        retryAfterSeconds,
      );
    }
    if (!slots) this.open.set(client, (slots = new Set()));
    const slot = { startedAtMs: Date.now() };
    slots.add(slot);
    return () => {
      const held = this.open.get(client);
      if (!held?.delete(slot)) return;
      if (held.size === 0) this.open.delete(client);
    };
  }
}
