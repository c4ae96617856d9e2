import { definePlugin } from '@aya-fw/core';
import { heldOutLoss, jsEvaluator, rewardMean, winRateEvaluator } from './evaluators';
import { llmJudge } from './llm-judge';
import { winRate } from './win-rate';

export { bootstrapInterval, promptBattles, winRateOf } from './arena-score';
export { reportSvg, scatterSvg, svgToPng, type Bars, type Curve, type ScatterPoint } from './chart';
export { heldOutLoss, jsEvaluator, rewardMean, winRateEvaluator } from './evaluators';
export { readEvalPrompts, type EvalPrompt, type EvalPromptOptions } from './eval-prompts';
export { ARENA_HARD_SYSTEM, ARENA_HARD_TEMPLATE, judgeMessages, llmJudge, LlmJudgeConfigSchema, parseVerdict, type LlmJudgeConfig } from './llm-judge';
export { formatRate, winRate, WinRateConfigSchema, withinNoise, type GroupRate, type WinRateConfig } from './win-rate';

/** Judge win-rates and reports, the LLM pairwise judge, and the evaluators merge search scores with. */
export default definePlugin({
  name: '@aya-fw/plugin-eval',
  contributes: { trainers: [winRate], judges: [llmJudge], evaluators: [heldOutLoss, rewardMean, winRateEvaluator, jsEvaluator] },
});
