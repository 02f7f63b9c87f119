import { CodeStreamCleaner } from './code-stream-cleaner';

const CODE = [
  'import pandas as pd',
  '',
  '',
  'def transform(df: pd.DataFrame) -> pd.DataFrame:',
  '    # Keep 2023 rows only.',
  '    out = df[df["year"] == 2023].copy()',
  '    out["total"] = out["qty"] * out["price"]',
  '    return out.reset_index(drop=True)',
  '',
].join('\n');

/** Feeds the chunks one by one and returns what was emitted for each, plus the tail. */
function run(chunks: string[]): { pieces: string[]; joined: string } {
  const cleaner = new CodeStreamCleaner();
  const pieces = chunks.map((c) => cleaner.push(c));
  pieces.push(cleaner.end());
  return { pieces, joined: pieces.join('') };
}

/** Every way of cutting `text` into two chunks, plus one chunk per character. */
function splits(text: string): string[][] {
  const out: string[][] = [[text], [...text]];
  for (let i = 1; i < text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  return out;
}

describe('CodeStreamCleaner', () => {
  it('passes plain code through unchanged', () => {
    expect(run([CODE]).joined).toBe(CODE);
  });

  it('removes a ```python fence and the prose around it, however the text is split', () => {
    const answer = `Here is the module you asked for:\n\n\`\`\`python\n${CODE}\`\`\`\n\nThis keeps 2023 rows and adds a total.\n`;
    for (const chunks of splits(answer)) {
      expect(run(chunks).joined).toBe(CODE);
    }
  });

  it('handles a fence opener split inside the language tag', () => {
    const chunks = [
      '``',
      '`py',
      'thon',
      '\nimport pandas as pd\n',
      '\ndef transform(df):\n    return df\n`',
      '``',
      '\nDone.',
    ];
    expect(run(chunks).joined).toBe('import pandas as pd\n\ndef transform(df):\n    return df\n');
  });

  it('accepts ```py, ``` without a language, ~~~ and longer fences', () => {
    for (const [open, close] of [
      ['```py', '```'],
      ['```', '```'],
      ['~~~python', '~~~'],
      ['````python', '````'],
    ]) {
      expect(run([`${open}\n${CODE}${close}\n`]).joined).toBe(CODE);
    }
  });

  it('skips a fence in another language before the Python one', () => {
    const answer = `You may need:\n\`\`\`bash\npip install pandas\n\`\`\`\nThen:\n\`\`\`python\n${CODE}\`\`\`\n`;
    expect(run([answer]).joined).toBe(CODE);
  });

  it('drops a Markdown heading before the fence but keeps comments before bare code', () => {
    expect(run([`# Solution\n\n\`\`\`python\n${CODE}\`\`\``]).joined).toBe(CODE);
    expect(run([`# Adds a total column.\n${CODE}`]).joined).toBe(`# Adds a total column.\n${CODE}`);
  });

  it('keeps only the first Python block when the model adds an example after it', () => {
    const answer = `\`\`\`python\n${CODE}\`\`\`\n\nExample:\n\`\`\`python\nprint(transform(df))\n\`\`\`\n`;
    expect(run([answer]).joined).toBe(CODE);
  });

  it('drops prose after unfenced code', () => {
    const answer = `${CODE}\nThis function filters the rows and adds a total.\nNote: it assumes qty is numeric.\n`;
    expect(run([answer]).joined).toBe(CODE);
  });

  it('drops prose after unfenced code however the text is split', () => {
    const answer = `${CODE}\nThis returns the filtered rows.\n`;
    for (const chunks of splits(answer)) {
      expect(run(chunks).joined).toBe(CODE);
    }
  });

  it('keeps code whose fence never closes (answer cut off by max_tokens)', () => {
    const { joined } = run([
      '```python\nimport pandas as pd\n\ndef transform(df):\n    return df.hea',
      'd()',
    ]);
    expect(joined).toBe('import pandas as pd\n\ndef transform(df):\n    return df.head()\n');
  });

  it('streams a line of code before its line break arrives', () => {
    const { pieces } = run([
      '```python\n',
      'def transform(df):\n    out = df.',
      'copy()',
      '\n    return out\n```',
    ]);
    expect(pieces[1]).toBe('def transform(df):\n    out = df.');
    expect(pieces[2]).toBe('copy()');
    expect(pieces.join('')).toBe('def transform(df):\n    out = df.copy()\n    return out\n');
  });

  it('holds back only what could still be a closing fence', () => {
    const cleaner = new CodeStreamCleaner();
    expect(cleaner.push('```python\nx = 1\n`')).toBe('x = 1\n');
    expect(cleaner.push('``\nAnything after the fence.')).toBe('');
    expect(cleaner.end()).toBe('');
  });

  it('keeps indentation, blank lines and backticks inside code lines', () => {
    const code = 'def transform(df):\n\n    s = "`quoted`"\n\n    return df\n';
    expect(run(['```python\n', code, '```']).joined).toBe(code);
  });

  it('turns an answer without any code into comments instead of dropping it', () => {
    const { joined } = run(["I can't write this: the table has no column named price.\n"]);
    expect(joined).toBe("# I can't write this: the table has no column named price.\n");
  });

  it('ends the output with a line break', () => {
    expect(run(['```python\nx = 1']).joined).toBe('x = 1\n');
  });
});
