/** A next-token distribution as a horizontal bar chart (recharts): token on the left, probability bar. */
import { Bar, BarChart, CartesianGrid, Cell, LabelList, Tooltip, XAxis, YAxis } from 'recharts';
import { formatValue } from './colorScale.ts';
import { showWhitespace } from './Heatmap.tsx';

export interface TopTokensBarProps {
  tokens: readonly { token: string; prob: number }[];
  /** Token text drawn in the accent colour (e.g. the answer). */
  highlight?: string;
  width?: number;
  color?: string;
  testId?: string;
}

export function TopTokensBar({ tokens, highlight, width = 340, color = '#5b7fd6', testId }: TopTokensBarProps) {
  const data = tokens.map((t) => ({ label: showWhitespace(t.token), prob: t.prob, raw: t.token }));
  return (
    <div data-testid={testId}>
      <BarChart width={width} height={24 * data.length + 30} data={data} layout="vertical" margin={{ left: 8, right: 48, top: 4, bottom: 4 }}>
        <CartesianGrid horizontal={false} stroke="#eee" />
        <XAxis type="number" domain={[0, 1]} tickFormatter={(v: number) => formatValue(v, 2)} fontSize={10} />
        <YAxis type="category" dataKey="label" width={90} fontSize={11} fontFamily="ui-monospace, Menlo, monospace" interval={0} />
        <Tooltip formatter={(v) => formatValue(Number(v), 4)} isAnimationActive={false} />
        <Bar dataKey="prob" isAnimationActive={false}>
          {data.map((d, i) => <Cell key={i} fill={d.raw === highlight ? '#d9822b' : color} />)}
          <LabelList dataKey="prob" position="right" fontSize={10} formatter={(v: unknown) => formatValue(Number(v), 3)} />
        </Bar>
      </BarChart>
    </div>
  );
}
