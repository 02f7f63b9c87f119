import { FakeAnthropic, FakeReply, textReply } from '../test/support/fake-anthropic';
import { EvalTask } from './task-set';

/** The key the eval's fake Messages API accepts (not a real key). */
export const FAKE_MODEL_KEY = 'sk-ant-eval-fake-model-key';

/** An answer streamed in pieces, with about a token per four characters as its output usage. */
function answer(text: string): FakeReply {
  const chunks = text.match(/[\s\S]{1,200}/g) ?? [text];
  return textReply(chunks, { usage: { output_tokens: Math.ceil(text.length / 4) } });
}

/**
 * Queues a task's scripted answers on the fake: refine gets fake/refine.md, generate
 * attempt1.py, each fix the next attempt. Calls beyond the script get the fake's default
 * short answer (which fails), so a repair loop that asks more than scripted shows up.
 */
export function scriptTask(fake: FakeAnthropic, task: EvalTask): void {
  fake.reset();
  fake.enqueue(answer(task.fakeSpec), ...task.fakeAttempts.map(answer));
}

export async function startFakeModel(): Promise<FakeAnthropic> {
  return FakeAnthropic.start(FAKE_MODEL_KEY);
}
