import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineChartSvg, niceScale } from '../../bench/chart.js';

const chart = (values: number[][]) =>
  lineChartSvg({
    title: 'CPU <per> request & more',
    caption: 'test',
    xLabel: 'tools',
    yLabel: 'µs',
    xs: [1, 10, 100],
    panels: [{ title: 'call', series: values.map((v, i) => ({ label: `line ${i}`, color: '#000000', values: v })) }],
  });

describe('the bench chart', () => {
  it('scales the y axis in steps of 1, 2 or 5 times a power of ten, up to the largest value or just past it', () => {
    assert.deepEqual(niceScale(1000), { step: 200, top: 1000 });
    assert.deepEqual(niceScale(3656), { step: 1000, top: 4000 });
    assert.deepEqual(niceScale(8419), { step: 2000, top: 10000 });
    assert.deepEqual(niceScale(0), { step: 1, top: 1 });
  });

  it('draws one line per series and a point per finite value, leaving out NaN', () => {
    const svg = chart([
      [1, 2, 3],
      [4, Number.NaN, 6],
    ]);
    assert.equal(svg.match(/<path /g)?.length, 2);
    assert.equal(svg.match(/<circle /g)?.length, 5);
  });

  it('escapes text and is one well-formed svg element', () => {
    const svg = chart([[1, 2, 3]]);
    assert.match(svg, /CPU &lt;per&gt; request &amp; more/);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>[\s\S]*<\/svg>\n$/);
  });
});
