import { Module } from '@nestjs/common';
import { SandboxProbe } from './sandbox-probe';
import { SandboxStatusProvider } from './sandbox-status';

@Module({
  providers: [SandboxProbe, { provide: SandboxStatusProvider, useExisting: SandboxProbe }],
  exports: [SandboxStatusProvider],
})
export class SandboxModule {}
