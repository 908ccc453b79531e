import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** The impacts that fail the accessibility check; moderate and minor ones are reported only. */
export const FAILING_IMPACTS: readonly string[] = ['serious', 'critical'];

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core in the page as it is and returns its violations (every impact): its
 * default rules, plus `target-size` (WCAG 2.2 AA 2.5.8, off by default in axe). The
 * script is evaluated through the DevTools protocol, not added as a <script>, so the
 * page keeps its strict CSP (no inline script) while it is checked.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate('typeof window.axe');
  if (loaded !== 'object') await page.evaluate(axeSource);
  // A string, as the page's own code runs it (no DOM types here): violations, trimmed to what the report says.
  return page.evaluate(`axe.run(document, { rules: { 'target-size': { enabled: true } } }).then((r) => r.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
  })))`) as Promise<AxeViolation[]>;
}

/** One line per violation and one per element: rule id, impact, what to fix, the elements' selectors. */
export function describeViolations(violations: readonly AxeViolation[]): string {
  return violations
    .map(
      (v) =>
        `  ${v.id} (${v.impact ?? 'no impact'}): ${v.help}\n${v.nodes
          .map((n) => `    at ${n.target.map(String).join(' >> ')}`)
          .join('\n')}`,
    )
    .join('\n');
}

/**
 * Checks the page with axe-core: throws a readable list of every serious or critical
 * violation (rule id, impact, elements); returns the moderate and minor ones.
 */
export async function expectNoSeriousViolations(page: Page, label: string): Promise<AxeViolation[]> {
  const violations = await axeViolations(page);
  const failing = violations.filter((v) => FAILING_IMPACTS.includes(v.impact ?? ''));
  if (failing.length > 0)
    throw new Error(
      `${label} (${new URL(page.url()).pathname}): ${failing.length} serious or critical axe violation(s)\n${describeViolations(failing)}`,
    );
  return violations;
}
