import { definePlugin } from '@aya-fw/core';
import { winRate } from './win-rate';

export { reportSvg, svgToPng, type Bars, type Curve } from './chart';
export { winRate, WinRateConfigSchema, type WinRateConfig } from './win-rate';

/** Judge win-rates and reports. */
export default definePlugin({ name: '@aya-fw/plugin-eval', contributes: { trainers: [winRate] } });
