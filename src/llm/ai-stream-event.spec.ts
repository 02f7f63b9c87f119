import { ScriptedLlmClient } from '../../test/support/scripted-llm-client';
import { AiStreamEvent, toAiStreamEvents } from './ai-stream-event';
import { LlmError, LlmRequest } from './llm-client';

const request: LlmRequest = {
  purpose: 'refine',
  prompt: { system: 's', context: null, task: 't' },
  maxTokens: 100,
};

async function collect(events: AsyncIterable<AiStreamEvent>): Promise<AiStreamEvent[]> {
  const out: AiStreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('toAiStreamEvents', () => {
  it('turns text into chunk events and the end into done with usage in snake_case', async () => {
    const llm = new ScriptedLlmClient(['a', 'b']);
    const events = await collect(
      toAiStreamEvents(llm.stream(request, new AbortController().signal)),
    );
    expect(events).toEqual([
      { chunk: 'a', done: false },
      { chunk: 'b', done: false },
      {
        done: true,
        usage: {
          input_tokens: 10,
          output_tokens: 5,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 7,
        },
        stop_reason: 'end_turn',
      },
    ]);
  });

  it('ends with the error event when the model call fails midway', async () => {
    const llm = new ScriptedLlmClient(
      ['a'],
      new LlmError('overloaded', 'The AI model is overloaded.'),
    );
    const events = await collect(
      toAiStreamEvents(llm.stream(request, new AbortController().signal)),
    );
    expect(events).toEqual([
      { chunk: 'a', done: false },
      { error: 'The AI model is overloaded.', done: true },
    ]);
  });

  it('runs the text through a filter, skipping empty results and flushing its tail', async () => {
    const llm = new ScriptedLlmClient(['x', 'y', 'z']);
    const held: string[] = [];
    const filter = {
      push: (chunk: string) => (chunk === 'y' ? (held.push(chunk), '') : chunk.toUpperCase()),
      end: () => held.join(''),
    };
    const events = await collect(
      toAiStreamEvents(llm.stream(request, new AbortController().signal), filter),
    );
    expect(events.filter((e) => 'chunk' in e)).toEqual([
      { chunk: 'X', done: false },
      { chunk: 'Z', done: false },
      { chunk: 'y', done: false },
    ]);
  });

  it('lets unexpected errors through for the SSE bridge to report', async () => {
    async function* broken(): AsyncGenerator<never> {
      yield* [];
      throw new Error('bug');
    }
    await expect(collect(toAiStreamEvents(broken()))).rejects.toThrow('bug');
  });
});
