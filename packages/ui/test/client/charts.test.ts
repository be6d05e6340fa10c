import { describe, expect, it } from 'vitest';
import { extent, formatValue, makeScale, textColorOn } from '../../src/client/charts/colorScale.ts';
import { matrixCsv, toCsv } from '../../src/client/lib/exportData.ts';

describe('colour scales', () => {
  it('uses a diverging scale, symmetric around zero, for signed data', () => {
    const scale = makeScale([[-0.5, 0.2], [2, NaN]]);
    expect(scale.kind).toBe('diverging');
    expect(scale.domain).toEqual([-2, 2]);
    expect(scale.color(0)).toBe('rgb(247,247,247)'); // white at zero
    expect(scale.color(2)).toBe('rgb(178,24,43)');
    expect(scale.color(-2)).toBe('rgb(33,102,172)');
    expect(scale.color(NaN)).toBe('#e6e6e6');
  });

  it('uses a sequential scale for non-negative data and honours a fixed domain', () => {
    const scale = makeScale([[0.1, 0.3]], { domain: [0, 1] });
    expect(scale.kind).toBe('sequential');
    expect(scale.color(0)).toBe('rgb(247,251,255)');
    expect(scale.color(1)).toBe('rgb(8,48,107)');
    expect(scale.color(5)).toBe(scale.color(1)); // clamped
  });

  it('ignores non-finite values in the extent and picks readable text', () => {
    expect(extent([[Infinity, -Infinity, NaN]])).toEqual([0, 0]);
    expect(extent([[3, -Infinity, 1]])).toEqual([1, 3]);
    expect(textColorOn('rgb(8,48,107)')).toBe('#fff');
    expect(textColorOn('rgb(247,247,247)')).toBe('#111');
    expect(formatValue(0.000012)).toBe('1.20e-5');
    expect(formatValue(-Infinity)).toBe('−∞');
  });
});

describe('data export', () => {
  it('writes CSV with quoting and labelled matrices', () => {
    expect(toCsv([['a', 'b,c'], ['"q"', 1.5]])).toBe('a,"b,c"\n"""q""",1.5\n');
    expect(matrixCsv({ rowLabels: ['L0', 'L1'], colLabels: ['x', 'y'], values: [[1, 2], [3, 4]] }, 'layer')).toEqual([
      ['layer', 'x', 'y'],
      ['L0', '1', '2'],
      ['L1', '3', '4'],
    ]);
  });
});
