import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { textOn } from '../../../src/authserver/web/brand.js';

/** WCAG 2.1's contrast ratio, written here from the definition rather than taken from the code under test. */
function contrast(a: string, b: string): number {
  const channel = (hex: string, i: number) => {
    const c = Number.parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = (hex: string) => 0.2126 * channel(hex, 0) + 0.7152 * channel(hex, 1) + 0.0722 * channel(hex, 2);
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light! + 0.05) / (dark! + 0.05);
}

const long = (short: string) => `#${[...short.slice(1)].map((c) => c + c).join('')}`;

describe('the text colour on a brand colour', () => {
  it('reads at 4.5:1 or more on every #rgb colour', () => {
    for (let n = 0; n < 4096; n++) {
      const color = `#${n.toString(16).padStart(3, '0')}`;
      const text = textOn(color);
      assert.ok(contrast(text, long(color)) >= 4.5, `${text} on ${color}: ${contrast(text, long(color)).toFixed(2)}`);
    }
  });

  it('is black on a light brand colour and white on a dark one, in either spelling', () => {
    assert.equal(textOn('#ffd23f'), '#000000');
    assert.equal(textOn('#FFF'), '#000000');
    assert.equal(textOn('#0b6e4f'), '#ffffff');
    assert.equal(textOn('#1f5fbf'), '#ffffff');
    assert.equal(textOn('#000'), '#ffffff');
  });
});
