import { Inject, Injectable, Optional } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { aiConfig } from '../config/configuration';
import { AiStreamEvent, toAiStreamEvents } from '../llm/ai-stream-event';
import { LlmClient, LlmPrompt, LlmRequest } from '../llm/llm-client';
import { Session } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';
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
    private readonly sessions: SessionsService,
    private readonly profiles: DatasetProfileService,
    // Optional: the prompt falls back to generic versions when the sandbox cannot tell.
    @Optional()
    @Inject(SandboxStatusProvider)
    private readonly sandbox: SandboxStatusProvider | null,
    private readonly llm: LlmClient,
  ) {}

  /** Checks session and model now (404, 503); profiles the data and calls the model when iterated. */
  async generate(
    sessionId: string,
    spec: string,
    signal: AbortSignal,
  ): Promise<AsyncIterable<AiStreamEvent>> {
    const session = await this.ready(sessionId);
    return this.stream('generate', signal, () => this.generatePrompt(session, spec));
  }

  async fix(
    sessionId: string,
    brokenCode: string,
    errorMessage: string,
    signal: AbortSignal,
  ): Promise<AsyncIterable<AiStreamEvent>> {
    const session = await this.ready(sessionId);
    return this.stream('fix', signal, () => this.fixPrompt(session, brokenCode, errorMessage));
  }

  /** The generate prompt for a session's data (profiles it). */
  async generatePrompt(session: Session, spec: string): Promise<LlmPrompt> {
    return buildGeneratePrompt({
      system: this.systemPrompt(),
      dataset: await this.profiles.describe(session, spec),
      spec,
    });
  }

  /** The fix prompt: the same system prompt and data context, then the code and its error. */
  async fixPrompt(session: Session, brokenCode: string, errorMessage: string): Promise<LlmPrompt> {
    return buildFixPrompt({
      system: this.systemPrompt(),
      dataset: await this.profiles.describe(session, brokenCode),
      brokenCode,
      errorMessage,
    });
  }

  private async ready(sessionId: string): Promise<Session> {
    const session = await this.sessions.get(sessionId);
    this.llm.ensureReady();
    return session;
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
