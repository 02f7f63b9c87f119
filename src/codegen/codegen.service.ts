import { Inject, Injectable, Optional } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { aiConfig } from '../config/configuration';
import { AiStreamEvent, toAiStreamEvents } from '../llm/ai-stream-event';
import { LlmClient, LlmPrompt, LlmRequest } from '../llm/llm-client';
import { DataSource } from '../execution/data-source';
import { ExecutionService } from '../execution/execution.service';
import { CodeStreamCleaner } from './code-stream-cleaner';
import { buildCodegenSystemPrompt, buildFixPrompt, buildGeneratePrompt } from './codegen-prompt';
import { DatasetProfileService } from './dataset-profile.service';
import { SANDBOX_POLICY, SandboxPolicy, SandboxStatusProvider } from '../sandbox';

/** Step 3: write the `transform(df)` module from a specification, and repair it when it fails. */
@Injectable()
export class CodegenService {
  constructor(
    @Inject(aiConfig.KEY) private readonly ai: ConfigType<typeof aiConfig>,
    @Inject(SANDBOX_POLICY) private readonly policy: SandboxPolicy,
    private readonly executions: ExecutionService,
    private readonly profiles: DatasetProfileService,
    // Optional: the prompt falls back to generic versions when the sandbox cannot tell.
    @Optional()
    @Inject(SandboxStatusProvider)
    private readonly sandbox: SandboxStatusProvider | null,
    private readonly llm: LlmClient,
  ) {}

  /**
   * Checks session, source job and model now (404, 503); profiles the data and calls the
   * model when iterated. `sourceJobId`: the prompt describes that job's output instead of
   * the upload (see ExecutionService.dataSource).
   */
  async generate(
    sessionId: string,
    spec: string,
    signal: AbortSignal,
    sourceJobId: string | null = null,
  ): Promise<AsyncIterable<AiStreamEvent>> {
    const source = await this.ready(sessionId, sourceJobId);
    return this.stream('generate', signal, () => this.generatePrompt(source, spec));
  }

  async fix(
    sessionId: string,
    brokenCode: string,
    errorMessage: string,
    signal: AbortSignal,
    sourceJobId: string | null = null,
  ): Promise<AsyncIterable<AiStreamEvent>> {
    const source = await this.ready(sessionId, sourceJobId);
    return this.stream('fix', signal, () => this.fixPrompt(source, brokenCode, errorMessage));
  }

  /** The generate prompt for the data a step works on (profiles it). */
  async generatePrompt(source: DataSource, spec: string): Promise<LlmPrompt> {
    return buildGeneratePrompt({
      system: this.systemPrompt(),
      dataset: await this.profiles.describe(source, spec),
      spec,
    });
  }

  /** The fix prompt: the same system prompt and data context, then the code and its error. */
  async fixPrompt(
    source: DataSource,
    brokenCode: string,
    errorMessage: string,
  ): Promise<LlmPrompt> {
    return buildFixPrompt({
      system: this.systemPrompt(),
      dataset: await this.profiles.describe(source, brokenCode),
      brokenCode,
      errorMessage,
    });
  }

  private async ready(sessionId: string, sourceJobId: string | null): Promise<DataSource> {
    const { source } = await this.executions.dataSource(sessionId, sourceJobId);
    this.llm.ensureReady();
    return source;
  }

  private async *stream(
    purpose: LlmRequest['purpose'],
    signal: AbortSignal,
    buildPrompt: () => Promise<LlmPrompt>,
  ): AsyncGenerator<AiStreamEvent> {
    const prompt = await buildPrompt();
    if (signal.aborted) return;
    const events = this.llm.stream(
      { purpose, prompt, maxTokens: this.ai.codegenMaxTokens },
      signal,
    );
    yield* toAiStreamEvents(events, new CodeStreamCleaner());
  }

  private systemPrompt(): string {
    const status = this.sandbox?.status();
    return buildCodegenSystemPrompt(this.policy, {
      python: status?.python ?? null,
      pandas: status?.pandas ?? null,
    });
  }
}
