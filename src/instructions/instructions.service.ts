import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { aiConfig } from '../config/configuration';
import { AiStreamEvent, toAiStreamEvents } from '../llm/ai-stream-event';
import { LlmClient } from '../llm/llm-client';
import { ExecutionService } from '../execution/execution.service';
import { buildRefinePrompt } from './refine-prompt';

/** Step 2: the person's rough instructions become a precise specification. */
@Injectable()
export class InstructionsService {
  constructor(
    @Inject(aiConfig.KEY) private readonly ai: ConfigType<typeof aiConfig>,
    private readonly executions: ExecutionService,
    private readonly llm: LlmClient,
  ) {}

  /**
   * Checks the session, the source job and the model right away (404, 503), then returns
   * the stream, which calls the model only when iterated. `sourceJobId`: the prompt lists
   * that job's output columns instead of the upload's (ExecutionService.dataSource).
   */
  async refine(
    sessionId: string,
    rawInstructions: string,
    signal: AbortSignal,
    sourceJobId: string | null = null,
  ): Promise<AsyncIterable<AiStreamEvent>> {
    const { source: dataset } = await this.executions.dataSource(sessionId, sourceJobId);
    this.llm.ensureReady();
    const prompt = buildRefinePrompt({
      rowCount: dataset.rowCount,
      columns: dataset.columns.map((name, i) => ({ name, dtype: dataset.dtypes[i] })),
      instructions: rawInstructions,
    });
    return toAiStreamEvents(
      this.llm.stream({ purpose: 'refine', prompt, maxTokens: this.ai.refineMaxTokens }, signal),
    );
  }
}
