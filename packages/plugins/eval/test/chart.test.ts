import { niceTicks, reportSvg } from '../src/chart';

/** Every x coordinate an SVG element is drawn at (rect/line/text/circle attributes and polyline points). */
function xCoordinates(svg: string): number[] {
  const xs = [...svg.matchAll(/\s(?:x|x1|x2|cx)="(-?[\d.]+)"/g)].map((m) => Number(m[1]));
  for (const m of svg.matchAll(/points="([^"]+)"/g)) for (const p of m[1].split(' ')) xs.push(Number(p.split(',')[0]));
  return xs;
}

describe('report figure', () => {
  const bars = { groups: ['overall', 'en'], series: [{ name: 'sft', values: [0.6, 0.7] }, { name: 'dpo', values: [0.5, 0.4] }] };
  const train = (n: number): [number, number][] => Array.from({ length: n }, (_, i) => [i + 1, 3 - i * 0.1]);

  it('gives each model one colour in every panel, draws held-out curves dashed beside training curves, with ticks, inside the canvas', () => {
    const svg = reportSvg('title', bars, [
      { title: 'dpo: training and held-out loss', points: train(20), eval: [[0, 3.2], [10, 2.4], [20, 2.1]], series: 'dpo' },
      { title: 'sft: training loss', points: train(10), series: 'sft' },
      { title: 'other: training loss', points: train(5) },
    ]);
    const colourOfBar = (name: string) => svg.match(new RegExp(`<rect [^>]*fill="(#[0-9a-f]{6})"/>\\n<text [^>]*>${name}</text>`))![1];
    const polylines = [...svg.matchAll(/<polyline fill="none" stroke="(#[0-9a-f]{6})" stroke-width="1.5"( stroke-dasharray="5 3")?/g)].map((m) => [m[1], Boolean(m[2])]);
    // dpo: train solid + held-out dashed in dpo's bar colour; sft: its own; the third a colour no bar uses.
    expect(polylines).toEqual([[colourOfBar('dpo'), false], [colourOfBar('dpo'), true], [colourOfBar('sft'), false], [expect.not.stringMatching(new RegExp(`${colourOfBar('sft')}|${colourOfBar('dpo')}`)), false]]);
    expect(svg).toContain('>held-out</text>');
    // Round tick labels on both axes of the first panel: steps 0…20, losses 1.1…3.2.
    for (const x of ['0', '5', '10', '15', '20']) expect(svg).toContain(`font-size="10" text-anchor="middle">${x}</text>`);
    for (const y of ['1', '2', '3', '4']) expect(svg).toContain(`font-size="10" text-anchor="end">${y}</text>`);
    const width = Number(svg.match(/width="(\d+)"/)![1]);
    const xs = xCoordinates(svg);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...xs)).toBeLessThanOrEqual(width - 10);
  });

  it('chooses round ticks that cover the range', () => {
    expect(niceTicks(0, 20)).toEqual([0, 5, 10, 15, 20]);
    expect(niceTicks(2.1, 3.2)).toEqual([2, 2.5, 3, 3.5]);
    expect(niceTicks(0.013, 0.058)).toEqual([0, 0.02, 0.04, 0.06]);
    expect(niceTicks(5, 5)).toEqual([2, 4, 6, 8]);
  });
});
