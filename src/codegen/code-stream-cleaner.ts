import { StreamTextFilter } from '../llm/ai-stream-event';

type State =
  /** Nothing emitted yet: skipping prose, waiting for a fence or a line of code. */
  | 'start'
  /** Inside a Python code fence: emitting until the closing fence. */
  | 'fenced'
  /** Inside a fence of another language (shell, output): skipping it. */
  | 'otherFence'
  /** Unfenced code: emitting until a fence or a line of prose. */
  | 'bare'
  /** The code is over; everything after it is dropped. */
  | 'done';

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+.-]*)\s*$/;
const PYTHON_LANGUAGES = new Set(['', 'python', 'py', 'python3', 'py3']);
/** Lines that can only be Python, judged on the whole line. */
const CODE_LINE = [
  /^\s*(import\s+\w|from\s+[\w.]+\s+import\s|def\s+\w|class\s+\w|async\s+def\s|@\w)/,
  /^\s*(if|elif|for|while|with|except)\b.*:\s*(#.*)?$/,
  /^\s*(else|try|finally)\s*:\s*(#.*)?$/,
  /^\s*(return|raise|pass|yield|assert|del|global|nonlocal)\b/,
  /^\s*("""|''')/,
  /^\s*[A-Za-z_][\w.]*(\[[^\]]*\])*\s*(=|\+=|-=|\*=|\/=|\|=|&=)(?!=)/,
  /^\s*[A-Za-z_][\w.]*\(.*\)\s*$/,
];
/** A start of line that is Python for sure, so the rest of the line can be sent unseen. */
const CODE_PREFIX =
  /^(\s+[^\s`~]|#|@|[)\]}'"]|(import|from|def|class|async|if|elif|else|for|while|try|except|finally|with|return|raise|pass|yield|assert|del|global|nonlocal|lambda|match|case)\b|[A-Za-z_]\w*\s*(=|\(|\[|\.))/;
const PYTHON_KEYWORDS = new Set([
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'case',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'match',
  'nonlocal',
  'not',
  'or',
  'pass',
  'print',
  'raise',
  'return',
  'try',
  'type',
  'while',
  'with',
  'yield',
]);
/** Bounds what is kept of a prose-only answer (see `end`). */
const MAX_KEPT_PROSE_LINES = 20;

function isCodeLine(line: string): boolean {
  return CODE_LINE.some((re) => re.test(line));
}

/** A sentence at the left margin, like "This function ..." or "Note: ...". */
function isProseLine(line: string): boolean {
  const m = /^([A-Za-z][\w'’-]*)[,:]?\s+[A-Za-z"'(]/.exec(line);
  return !!m && !PYTHON_KEYWORDS.has(m[1]) && !isCodeLine(line);
}

/**
 * Turns the model's streamed answer into plain Python as it arrives: Markdown fences
 * are removed (also when "```python" is split across chunks), prose before and after
 * the code is dropped. Text is held back only while a line could still be a fence or
 * prose; a line known to be code is sent as soon as that is clear, before its end.
 */
export class CodeStreamCleaner implements StreamTextFilter {
  private state: State = 'start';
  /** The current line, while it is undecided. */
  private line = '';
  /** The current line is code and is being sent as it comes. */
  private streamingLine = false;
  private fence = '';
  /** Comment lines seen in `start`: Python comments, or a Markdown heading before a fence. */
  private pending: string[] = [];
  private readonly droppedProse: string[] = [];
  /** Blank lines in unfenced code, held until the next line shows whether code goes on. */
  private heldBlankLines = 0;
  private emitted = false;
  private lastEmitted = '';

  push(chunk: string): string {
    let out = '';
    let rest = chunk;
    while (rest.length > 0) {
      const nl = rest.indexOf('\n');
      if (nl === -1) {
        out += this.partial(rest);
        break;
      }
      out += this.complete(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    }
    return this.track(out);
  }

  end(): string {
    let out = '';
    const line = this.line.replace(/\r$/, '');
    this.line = '';
    if (!this.streamingLine && line.trim() !== '' && !FENCE.test(line)) {
      if (this.state === 'fenced') out = line;
      else if (this.state === 'bare' && !isProseLine(line)) out = this.releaseBlankLines() + line;
      else if (this.state === 'start' && isCodeLine(line)) out = [...this.pending, line].join('\n');
    }
    if (!this.emitted && out === '' && this.droppedProse.length > 0) {
      // The model answered in words only (a refusal, a question): keep them as comments.
      out = this.droppedProse.map((l) => `# ${l}`).join('\n');
    }
    this.state = 'done';
    out = this.track(out);
    if (this.emitted && this.lastEmitted !== '\n') out += this.track('\n');
    return out;
  }

  private track(out: string): string {
    if (out) {
      this.emitted = true;
      this.lastEmitted = out[out.length - 1];
    }
    return out;
  }

  /** A piece of the current line with no line break after it (yet). */
  private partial(text: string): string {
    if (this.streamingLine) return text;
    this.line += text;
    const early =
      (this.state === 'fenced' && /^\s*[^\s`~]/.test(this.line)) ||
      (this.state === 'bare' && CODE_PREFIX.test(this.line));
    if (!early) return '';
    this.streamingLine = true;
    const out = this.releaseBlankLines() + this.line;
    this.line = '';
    return out;
  }

  /** The rest of the current line, whose line break has arrived. */
  private complete(text: string): string {
    if (this.streamingLine) {
      this.streamingLine = false;
      return `${text}\n`;
    }
    const raw = this.line + text;
    this.line = '';
    const line = raw.replace(/\r$/, '');
    const fence = FENCE.exec(line);
    switch (this.state) {
      case 'start':
        return this.fromStart(line, fence);
      case 'fenced':
        if (fence && fence[2] === '' && this.closes(fence[1])) {
          this.state = 'done';
          return '';
        }
        return `${line}\n`;
      case 'otherFence':
        if (fence && fence[2] === '' && this.closes(fence[1])) this.state = 'start';
        return '';
      case 'bare':
        if (fence || isProseLine(line)) {
          this.state = 'done';
          return '';
        }
        if (line.trim() === '') {
          this.heldBlankLines += 1;
          return '';
        }
        return `${this.releaseBlankLines()}${line}\n`;
      case 'done':
        return '';
    }
  }

  private fromStart(line: string, fence: RegExpExecArray | null): string {
    if (fence) {
      this.pending = [];
      this.fence = fence[1];
      this.state = PYTHON_LANGUAGES.has(fence[2].toLowerCase()) ? 'fenced' : 'otherFence';
      return '';
    }
    if (line.trim() === '') {
      if (this.pending.length > 0) this.pending.push('');
      return '';
    }
    if (/^\s*#/.test(line)) {
      this.pending.push(line);
      return '';
    }
    if (isCodeLine(line)) {
      this.state = 'bare';
      const out = [...this.pending, line].map((l) => `${l}\n`).join('');
      this.pending = [];
      return out;
    }
    if (this.droppedProse.length < MAX_KEPT_PROSE_LINES) {
      const heading = this.pending
        .filter((l) => l.trim() !== '')
        .map((l) => l.replace(/^\s*#+\s*/, ''));
      this.droppedProse.push(...heading, line.trim());
    }
    this.pending = [];
    return '';
  }

  private releaseBlankLines(): string {
    const out = '\n'.repeat(this.heldBlankLines);
    this.heldBlankLines = 0;
    return out;
  }

  private closes(marker: string): boolean {
    return marker[0] === this.fence[0] && marker.length >= this.fence.length;
  }
}
