import { definePlugin } from '@aya-fw/core';
import { llmJudge } from './llm-judge';
import { winRate } from './win-rate';

export { bootstrapInterval, promptBattles, winRateOf } from './arena-score';
export { reportSvg, svgToPng, type Bars, type Curve } from './chart';
export { readEvalPrompts, type EvalPrompt, type EvalPromptOptions } from './eval-prompts';
export { ARENA_HARD_SYSTEM, ARENA_HARD_TEMPLATE, judgeMessages, llmJudge, LlmJudgeConfigSchema, parseVerdict, type LlmJudgeConfig } from './llm-judge';
export { formatRate, winRate, WinRateConfigSchema, withinNoise, type GroupRate, type WinRateConfig } from './win-rate';

/** Judge win-rates and reports, and the LLM pairwise judge. */
export default definePlugin({ name: '@aya-fw/plugin-eval', contributes: { trainers: [winRate], judges: [llmJudge] } });
