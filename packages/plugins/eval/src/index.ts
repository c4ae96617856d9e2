import { definePlugin } from '@aya-fw/core';
import { harmRateEvaluator, heldOutLoss, jsEvaluator, rewardMean, winRateEvaluator } from './evaluators';
import { harmClassifier, harmRate, llmHarmJudge } from './harm';
import { llmJudge } from './llm-judge';
import { winRate } from './win-rate';

export { bootstrapInterval, promptBattles, winRateOf } from './arena-score';
export { reportSvg, scatterSvg, svgToPng, type Bars, type Curve, type ScatterPoint } from './chart';
export { harmRateEvaluator, heldOutLoss, jsEvaluator, rewardMean, winRateEvaluator } from './evaluators';
export { formatHarm, harmClassifier, harmRate, HarmRateConfigSchema, harmRates, llmHarmJudge, parseHarmVerdict, readRedTeamPrompts, type HarmRate, type HarmRateConfig, type RedTeamPrompt } from './harm';
export { readEvalPrompts, type EvalPrompt, type EvalPromptOptions } from './eval-prompts';
export { ARENA_HARD_SYSTEM, ARENA_HARD_TEMPLATE, judgeMessages, llmJudge, LlmJudgeConfigSchema, parseVerdict, type LlmJudgeConfig } from './llm-judge';
export { formatRate, winRate, WinRateConfigSchema, withinNoise, type GroupRate, type WinRateConfig } from './win-rate';

/** Win-rates and harm rates with reports, LLM and classifier judges, and the evaluators merge search scores with. */
export default definePlugin({
  name: '@aya-fw/plugin-eval',
  contributes: { trainers: [winRate, harmRate], judges: [llmJudge, llmHarmJudge, harmClassifier], evaluators: [heldOutLoss, rewardMean, winRateEvaluator, harmRateEvaluator, jsEvaluator] },
});
