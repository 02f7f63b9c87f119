import { Inject, Injectable } from '@nestjs/common';
import { SANDBOX_SELECTION } from './sandbox.tokens';
import { SandboxSelection } from './drivers/sandbox-selection';
import { SandboxStatus, SandboxStatusProvider } from './sandbox-status';

/** What /health shows, and whether jobs may run at all. */
@Injectable()
export class SandboxStatusService extends SandboxStatusProvider {
  constructor(@Inject(SANDBOX_SELECTION) private readonly selection: SandboxSelection) {
    super();
  }

  status(): SandboxStatus {
    return {
      isolation: this.selection.provider.isolation,
      python: this.selection.versions?.python ?? null,
      pandas: this.selection.versions?.pandas ?? null,
    };
  }

  /** Why jobs are refused, or null when they run. */
  get refusal(): string | null {
    return this.selection.refusal;
  }
}
