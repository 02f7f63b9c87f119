import { RunnerVersions } from '../runner/runner-process';
import { IsolationLevel, SandboxChild, SandboxProvider } from './sandbox-provider';
import { selectSandbox, SelectionSettings } from './sandbox-selection';

class FakeSandbox extends SandboxProvider {
  constructor(readonly isolation: IsolationLevel) {
    super();
  }
  launch(): SandboxChild {
    throw new Error('not used');
  }
  sandboxInputDir(dir: string): string {
    return dir;
  }
}

const VERSIONS: RunnerVersions = { python: '3.11.2', pandas: '1.5.3' };

function deps(options: { bwrapWorks?: boolean; probeFails?: IsolationLevel[] } = {}) {
  const warnings: string[] = [];
  return {
    warnings,
    deps: {
      bubblewrap: async () => {
        if (options.bwrapWorks === false)
          throw new Error('bwrap: setting up uid map: Permission denied');
        return new FakeSandbox('bwrap');
      },
      processIsolation: () => new FakeSandbox('process'),
      probe: async (p: SandboxProvider) => {
        if (options.probeFails?.includes(p.isolation))
          throw new Error(`${p.isolation} probe failed`);
        return VERSIONS;
      },
      warn: (m: string) => warnings.push(m),
    },
  };
}

const settings = (s: Partial<SelectionSettings>): SelectionSettings => ({
  isolation: 'auto',
  allowWeakIsolation: false,
  isProduction: false,
  ...s,
});

describe('selectSandbox', () => {
  it('auto uses bubblewrap when it works here', async () => {
    const { deps: d, warnings } = deps();
    const selection = await selectSandbox(settings({}), d);
    expect(selection).toMatchObject({ versions: VERSIONS, refusal: null });
    expect(selection.provider.isolation).toBe('bwrap');
    expect(warnings).toEqual([]);
  });

  it('auto falls back to process isolation with a loud warning when bwrap fails to start or to pass the self-test', async () => {
    for (const d of [deps({ bwrapWorks: false }), deps({ probeFails: ['bwrap'] })]) {
      const selection = await selectSandbox(settings({}), d.deps);
      expect(selection.provider.isolation).toBe('process');
      expect(selection.refusal).toBeNull();
      expect(d.warnings.join('\n')).toMatch(
        /bubblewrap is not usable here[\s\S]*WEAK SANDBOX ISOLATION/,
      );
    }
  });

  it('bwrap fails closed: start-up stops when bubblewrap does not work', async () => {
    await expect(
      selectSandbox(settings({ isolation: 'bwrap' }), deps({ bwrapWorks: false }).deps),
    ).rejects.toThrow(
      /SANDBOX_ISOLATION=bwrap, but bubblewrap does not work here: bwrap: setting up uid map/,
    );
  });

  it('production refuses jobs under process isolation unless weak isolation is allowed', async () => {
    const refused = await selectSandbox(
      settings({ isolation: 'process', isProduction: true }),
      deps().deps,
    );
    expect(refused.provider.isolation).toBe('process');
    expect(refused.refusal).toMatch(/production requires bubblewrap/);
    const fallback = await selectSandbox(
      settings({ isProduction: true }),
      deps({ bwrapWorks: false }).deps,
    );
    expect(fallback.refusal).toMatch(/SANDBOX_ALLOW_WEAK_ISOLATION=true/);
    const allowed = await selectSandbox(
      settings({ isolation: 'process', isProduction: true, allowWeakIsolation: true }),
      deps().deps,
    );
    expect(allowed.refusal).toBeNull();
  });

  it('refuses jobs when no sandbox passes the self-test at all', async () => {
    const selection = await selectSandbox(
      settings({}),
      deps({ probeFails: ['bwrap', 'process'] }).deps,
    );
    expect(selection.versions).toBeNull();
    expect(selection.refusal).toBe('no working Python sandbox: process probe failed');
  });
});
