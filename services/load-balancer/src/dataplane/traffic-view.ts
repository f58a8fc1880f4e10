/** What the API asks of the data plane: target health and traffic figures. */
import type { TargetGroupRecord, TargetRecord } from '../state/records.js';

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';

export interface TargetHealthView {
  state: TargetState;
  /** Empty when healthy. */
  reason: string;
  description: string;
}

export interface TrafficFigures {
  requestCount: number;
  target2xx: number;
  target3xx: number;
  target4xx: number;
  target5xx: number;
  elb5xx: number;
  /** Sum of seconds to response headers, over requestsWithResponse. */
  targetResponseTimeSum: number;
  responses: number;
  newConnections: number;
}

export interface TrafficWindow {
  startTime: number;
  endTime: number;
  group: TrafficFigures & { healthy: number; unhealthy: number; active: number; registered: number };
  targets: { id: string; port: number; figures: TrafficFigures; active: number }[];
}

export interface TrafficView {
  health(group: TargetGroupRecord, target: TargetRecord): TargetHealthView;
  window(group: TargetGroupRecord, periodSeconds: number): TrafficWindow;
}
