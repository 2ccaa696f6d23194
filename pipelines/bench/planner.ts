/**
 * Shares the run's time among its cases so `npm run bench` ends within its target whatever the machine's load:
 * each case, when it starts, gets its weight's share of the time left (capped by its plan), so the time that
 * checks or an earlier slow case used is taken from the cases after it, never added at the end.
 */
import type { Budget, Plan } from './workloads.ts';

/** Hands out budgets against one deadline. */
export interface Planner {
  /** The budget of the next case; `plan.weight` is taken off the weight still to come. */
  next(plan: Plan): Budget;
  /** Seconds until the deadline (negative once past it). */
  left(): number;
}

/**
 * @param totalS seconds from `startMs` to the deadline
 * @param plans every case that will run, to know the weight still to come
 */
export function createPlanner(totalS: number, plans: readonly Plan[], startMs = performance.now()): Planner {
  const deadline = startMs + totalS * 1000;
  let weightLeft = plans.reduce((s, p) => s + p.weight, 0);
  const left = (): number => (deadline - performance.now()) / 1000;
  const share = (plan: Plan, time: number, weight: number): Budget => ({
    warmup: plan.warmup,
    steps: plan.steps,
    minSteps: plan.minSteps,
    seconds: Math.max(0, Math.min(plan.seconds, (time * plan.weight) / Math.max(weight, plan.weight))),
  });
  return {
    next(plan) {
      const b = share(plan, left(), weightLeft);
      weightLeft = Math.max(0, weightLeft - plan.weight);
      return b;
    },
    left,
  };
}
