import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AppLogger } from '../common/logging/app-logger.service';
import { appConfig, sandboxConfig } from '../config/configuration';
import { BubblewrapSandbox } from './drivers/bubblewrap-sandbox';
import { SandboxCodeChecker } from './checker/code-checker.service';
import { CodeChecker } from './code-checker';
import { ProcessSandbox } from './drivers/process-sandbox';
import { SandboxLauncher } from './drivers/sandbox-launcher';
import { SandboxPolicyModule } from './policy/sandbox-policy.module';
import { SandboxProvider } from './drivers/sandbox-provider';
import { probeRunner, SandboxSelection, selectSandbox } from './drivers/sandbox-selection';
import { SandboxStatusProvider } from './sandbox-status';
import { SandboxStatusService } from './sandbox-status.service';
import { SANDBOX_SELECTION } from './sandbox.tokens';
import { SandboxWorkspace } from './sandbox-workspace';

/**
 * Running untrusted Python. Exports two ports, CodeChecker (the static check) and
 * SandboxStatusProvider (isolation, versions, refusal); the drivers and the policy stay
 * inside. Running jobs is SandboxRunnerModule's (only processes that run jobs warm a pool);
 * it alone uses the driver and workspace exported here.
 */
@Module({
  imports: [SandboxPolicyModule],
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
    { provide: CodeChecker, useClass: SandboxCodeChecker },
  ],
  exports: [CodeChecker, SandboxStatusProvider, SandboxProvider, SandboxWorkspace],
})
export class SandboxModule {}
