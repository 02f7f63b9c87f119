import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sandboxConfig } from '../config/configuration';
import { SandboxStatus, SandboxStatusProvider } from './sandbox-status';

const run = promisify(execFile);

/** Learns at start which python and pandas the sandbox has and whether bwrap works here. */
@Injectable()
export class SandboxProbe extends SandboxStatusProvider implements OnModuleInit {
  private current: SandboxStatus = { isolation: 'process', python: null, pandas: null };

  constructor(@Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>) {
    super();
  }

  async onModuleInit(): Promise<void> {
    const env = { PATH: '/usr/bin:/bin' };
    const versions = await run(
      this.cfg.python,
      ['-c', 'import sys,pandas; print(sys.version.split()[0]); print(pandas.__version__)'],
      { env, timeout: 20_000 },
    ).catch(() => undefined);
    const [python, pandas] = versions ? versions.stdout.trim().split('\n') : [null, null];
    const bwrap = await run('bwrap', ['--unshare-all', '--ro-bind', '/usr', '/usr', '--', '/usr/bin/true'], {
      env,
      timeout: 10_000,
    })
      .then(() => true)
      .catch(() => false);
    this.current = { isolation: bwrap ? 'bwrap' : 'process', python: python ?? null, pandas: pandas ?? null };
  }

  status(): SandboxStatus {
    return this.current;
  }
}
