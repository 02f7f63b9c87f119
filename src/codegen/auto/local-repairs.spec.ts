import { adaptSeedScript, repairLocally, stripFences } from './local-repairs';

const SEED = `import os
import pandas as pd


def main():
    input_path = os.environ["INPUT_FILE_PATH"]
    output_path = os.environ["OUTPUT_FILE_PATH"]
    df = pd.read_csv(input_path)
    # Keep the rows with an amount
    result = df[df["amount"].notna()].reset_index(drop=True)
    result.to_csv(output_path, index=False)


if __name__ == "__main__":
    main()
`;

const SEED_AS_TRANSFORM = `import pandas as pd


def transform(df):
    df = df.copy()
    # Keep the rows with an amount
    result = df[df["amount"].notna()].reset_index(drop=True)
    return result
`;

describe('stripFences', () => {
  it('removes a fence that wraps the whole module', () => {
    expect(
      stripFences('```python\nimport pandas as pd\n\ndef transform(df):\n    return df\n```\n'),
    ).toBe('import pandas as pd\n\ndef transform(df):\n    return df\n');
  });

  it('removes a stray closing fence at the end and tildes fences', () => {
    expect(stripFences('def transform(df):\n    return df\n```')).toBe(
      'def transform(df):\n    return df\n',
    );
    expect(stripFences('~~~py\ndef transform(df):\n    return df\n~~~\n')).toBe(
      'def transform(df):\n    return df\n',
    );
  });

  it('leaves code without fences as it is, byte for byte', () => {
    const code = 'def transform(df):\n    return df  # ```not a fence```\n\n';
    expect(stripFences(code)).toBe(code);
  });

  it('leaves two fenced blocks alone: which one is the module is not certain', () => {
    const code = '```python\nx = 1\n```\n\n```python\ndef transform(df):\n    return df\n```\n';
    expect(stripFences(code)).toBe(code);
  });
});

describe('adaptSeedScript', () => {
  it('rewrites the seed-style script into transform(df) and says what changed', () => {
    const adapted = adaptSeedScript(SEED);
    expect(adapted?.code).toBe(SEED_AS_TRANSFORM);
    expect(adapted?.note).toBe(
      "rewrote the script's main() into transform(df): it read INPUT_FILE_PATH with " +
        'pd.read_csv() and now takes the table as df; it wrote result to OUTPUT_FILE_PATH ' +
        'with .to_csv() and now returns it',
    );
  });

  it('takes the environment read inline, os.environ.get and os.getenv, paths at the margin, a bare main() call', () => {
    const code = `import os
import pandas as pd

OUT = os.getenv("OUTPUT_FILE_PATH", "out.csv")


def main() -> None:
    data = pd.read_excel(os.environ.get('INPUT_FILE_PATH'), engine="openpyxl")
    data["total"] = data["a"] + data["b"]
    data.to_excel(OUT, index=False)


main()
`;
    expect(adaptSeedScript(code)?.code).toBe(`import pandas as pd



def transform(df):
    data = df.copy()
    data["total"] = data["a"] + data["b"]
    return data
`);
  });

  it('keeps `import os` when the module still uses os', () => {
    const code = SEED.replace('    # Keep', '    sep = os.sep\n    # Keep');
    const adapted = adaptSeedScript(code);
    expect(adapted?.code).toContain('import os\n');
    expect(adapted?.code).toContain('    sep = os.sep\n');
  });

  it.each([
    [
      'a read with arguments that change the data',
      SEED.replace('pd.read_csv(input_path)', 'pd.read_csv(input_path, parse_dates=["d"])'),
    ],
    [
      'a read split over lines',
      SEED.replace('pd.read_csv(input_path)', 'pd.read_csv(\n        input_path\n    )'),
    ],
    ['a path used again', SEED.replace('    # Keep', '    print(input_path)\n    # Keep')],
    [
      'a write that is not the last statement',
      SEED.replace('index=False)\n', 'index=False)\n    print("done")\n'),
    ],
    [
      'an early return in main',
      SEED.replace('    # Keep', '    if df.empty:\n        return\n    # Keep'),
    ],
    [
      'two writes',
      SEED.replace('index=False)\n', 'index=False)\n    result.to_csv(output_path + ".bak")\n'),
    ],
    ['a main guard that does more', SEED.replace('    main()\n', '    main()\n    print("bye")\n')],
    ['main called elsewhere', SEED.replace('if __name__', 'x = main\nif __name__')],
    ['main with parameters', SEED.replace('def main():', 'def main(path=None):')],
    ['a module that already has transform', `${SEED}\n\ndef transform(df):\n    return df\n`],
    ['no OUTPUT_FILE_PATH', SEED.replace('os.environ["OUTPUT_FILE_PATH"]', '"out.csv"')],
    [
      'the write inside a block',
      SEED.replace(
        '    result.to_csv(output_path, index=False)',
        '    if True:\n        result.to_csv(output_path, index=False)',
      ),
    ],
    [
      'a write through a path object',
      SEED.replace('result.to_csv(output_path, index=False)', 'result.to_csv(Path(output_path))'),
    ],
  ])('leaves the code alone (null) for %s', (_what, code) => {
    expect(adaptSeedScript(code)).toBeNull();
  });

  it('leaves an ordinary transform module alone', () => {
    expect(
      adaptSeedScript('import pandas as pd\n\ndef transform(df):\n    return df\n'),
    ).toBeNull();
  });
});

describe('repairLocally', () => {
  it('reports a fence the stream cleaner removed, from the raw answer', () => {
    const code = 'def transform(df):\n    return df\n';
    expect(repairLocally(code, '```python\n' + code + '```\n')).toEqual({
      code,
      adapted: ['removed the Markdown code fence around the answer'],
    });
  });

  it('strips fences and adapts a fenced seed script in one go', () => {
    const repair = repairLocally('```python\n' + SEED + '```\n');
    expect(repair.code).toBe(SEED_AS_TRANSFORM);
    expect(repair.adapted).toHaveLength(2);
    expect(repair.adapted[1]).toMatch(/^rewrote the script's main\(\) into transform\(df\)/);
  });

  it('changes nothing, and says nothing, for a plain module', () => {
    const code = 'import pandas as pd\n\n\ndef transform(df):\n    return df.copy()\n';
    expect(repairLocally(code)).toEqual({ code, adapted: [] });
  });
});
