import { describe, expect, it } from 'vitest';
import { linePlotSvg, renderLinePlot } from '../../src/report/linePlot.ts';
import { EddyError } from '../../src/util/errors.ts';

describe('line plots', () => {
  const series = [
    {
      name: 'train',
      points: [
        [0, 4.2],
        [100, 2.5],
        [200, 1.9],
      ] as [number, number][],
    },
    {
      name: 'validation <10%>',
      points: [
        [0, 4.2],
        [200, 2.0],
        [300, Number.NaN],
      ] as [number, number][],
    },
  ];
  it('draws one path per series, a legend with escaped names and axis labels', () => {
    const svg = linePlotSvg(series, { title: 'loss', xLabel: 'step', yLabel: 'nats/char' });
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toContain('validation &lt;10%&gt;');
    expect(svg).toContain('>step<');
    expect(svg).toContain('>nats/char<');
    expect(svg).not.toContain('NaN');
  });
  it('renders a PNG of the requested size', async () => {
    const png = await renderLinePlot(series, { width: 400, height: 300 });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const { default: sharp } = await import('sharp');
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual([400, 300]);
  });
  it('refuses an empty series list', () => {
    expect(() => linePlotSvg([])).toThrow(EddyError);
  });
});
