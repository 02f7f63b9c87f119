import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AppLogger } from '../common/logging/app-logger.service';
import { appConfig, sandboxConfig } from '../config/configuration';
import { BubblewrapSandbox } from './drivers/bubblewrap-sandbox';
import { CodeChecker } from './checker/code-checker.service';
import { ProcessSandbox } from './drivers/process-sandbox';
import { SandboxLauncher } from './drivers/sandbox-launcher';
import { SandboxPool } from './pool/sandbox-pool';
import { SandboxProvider } from './drivers/sandbox-provider';
import { probeRunner, SandboxSelection, selectSandbox } from './drivers/sandbox-selection';
import { SandboxStatusProvider } from './sandbox-status';
import { SandboxStatusService } from './sandbox-status.service';
import { SANDBOX_SELECTION } from './sandbox.tokens';
import { SandboxWorkspace } from './sandbox-workspace';

/** Running untrusted Python: the isolation adapters, the static checker and the warm pool. */
@Module({
  providers: [
    SandboxWorkspace,
    SandboxLauncher,
    {
      provide: SANDBOX_SELECTION,
      inject: [sandboxConfig.KEY, appConfig.KEY, SandboxWorkspace, SandboxLauncher, AppLogger],
      useFactory: async (
        cfg: ConfigType<typeof sandboxConfig>,
        app: ConfigType<typeof appConfig>,
        workspace: SandboxWorkspace,
        launcher: SandboxLauncher,
        logger: AppLogger,
      ): Promise<SandboxSelection> => {
        workspace.prepare();
        launcher.start();
        const selection = await selectSandbox(
          {
            isolation: cfg.isolation,
            allowWeakIsolation: cfg.allowWeakIsolation,
            isProduction: app.isProduction,
          },
          {
            bubblewrap: () => BubblewrapSandbox.create(cfg, workspace, launcher),
            processIsolation: () => new ProcessSandbox(cfg.python, workspace, launcher),
            probe: (provider) => probeRunner(provider, cfg),
            warn: (message) => logger.error(message, 'SandboxModule'),
          },
        );
        if (selection.refusal) logger.error(selection.refusal, 'SandboxModule');
        logger.log(
          { msg: 'sandbox ready', isolation: selection.provider.isolation, ...selection.versions },
          'SandboxModule',
        );
        return selection;
      },
    },
    {
      provide: SandboxProvider,
      inject: [SANDBOX_SELECTION],
      useFactory: (s: SandboxSelection) => s.provider,
    },
    SandboxStatusService,
    { provide: SandboxStatusProvider, useExisting: SandboxStatusService },
    SandboxPool,
    CodeChecker,
  ],
  exports: [SandboxProvider, SandboxStatusProvider, SandboxStatusService, SandboxPool, CodeChecker],
})
export class SandboxModule {}
