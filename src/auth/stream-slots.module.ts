import { Module } from '@nestjs/common';
import { StreamSlotInterceptor } from './stream-slot.interceptor';
import { StreamSlots } from './stream-slots.service';

/** What the streaming modules import to cap model streams per client. */
@Module({
  providers: [StreamSlots, StreamSlotInterceptor],
  exports: [StreamSlots, StreamSlotInterceptor],
})
export class StreamSlotsModule {}
