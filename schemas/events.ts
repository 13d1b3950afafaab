// Generated from schemas/*.avsc by `npm run schemas:generate`. Do not edit.

/** kpi.events.ProductionReported: Units an operator completed, counted by the MES/ERP. Topic factory.production.v1. */
export interface ProductionReported {
  /** Unique id of the event */
  event_id: string;
  /** Operator who completed the units */
  employee_id: string;
  /** Work station */
  station_id: string;
  /** Work order */
  work_order_id: string;
  /** Product */
  product_code: string;
  /** When the units were completed (epoch milliseconds, UTC) */
  event_time: number;
  /** Units completed (>= 0) */
  units: number;
  /** Engineered standard time per unit (> 0) */
  standard_seconds_per_unit: number;
}

/** kpi.events.MachineTelemetry: Machine time of one interval at a station, from the IoT gateway. Topic factory.telemetry.v1. An interval belongs to the window that contains interval_start. */
export interface MachineTelemetry {
  event_id: string;
  /** Operator logged in at the station */
  employee_id: string;
  station_id: string;
  /** Start of the measured interval (epoch milliseconds, UTC) */
  interval_start: number;
  /** End of the interval (at most 15 min, never crossing an hour boundary) (epoch milliseconds, UTC) */
  interval_end: number;
  /** Machine running */
  run_seconds: number;
  /** Machine idle */
  idle_seconds: number;
  /** Machine down (fault) */
  down_seconds: number;
}

/** kpi.events.QualityInspected: Result of inspecting units an operator produced, from the QMS. Topic quality.inspections.v1. Belongs to the window of production_time. */
export interface QualityInspected {
  event_id: string;
  /** Operator who produced the inspected units */
  employee_id: string;
  station_id: string;
  work_order_id: string;
  /** When the inspected units were produced (epoch milliseconds, UTC) */
  production_time: number;
  /** When inspected: hours to days after production (epoch milliseconds, UTC) */
  inspected_time: number;
  /** >= 0 */
  units_inspected: number;
  /** 0..units_inspected */
  units_defective: number;
  defect_codes: string[];
}

/** kpi.events.CustomerFeedback: A customer's verdict on an order traced back to its operator, from the CRM. Topic customer.feedback.v1. Belongs to the window of production_time. */
export interface CustomerFeedback {
  event_id: string;
  /** Operator the order is traced back to */
  employee_id: string;
  order_id: string;
  /** When the product was made (epoch milliseconds, UTC) */
  production_time: number;
  /** Days to weeks after production (epoch milliseconds, UTC) */
  feedback_time: number;
  /** Customer satisfaction score, 0..100 */
  satisfaction: number;
  /** A formal complaint was filed */
  complaint: boolean;
}

/** kpi.events.SelfReported: What an employee reports about their own shift/day, from the HR portal. Topic hr.self_reports.v1. Belongs to the window of period_start; the latest submitted_time stands (ties: the greater event_id). */
export interface SelfReported {
  event_id: string;
  employee_id: string;
  /** Start of the shift/day the report covers (epoch milliseconds, UTC) */
  period_start: number;
  /** End of that period (epoch milliseconds, UTC) */
  period_end: number;
  /** (epoch milliseconds, UTC) */
  submitted_time: number;
  /** Units the employee says they completed */
  reported_units: number;
  /** Machine run hours the employee says they worked */
  reported_run_hours: number;
  /** Defective units the employee admits */
  reported_defective_units: number;
  /** The employee's self-assessed score, 0..100 */
  self_score: null | number;
}

/** kpi.events.AssignmentChanged: Who belongs where, over time, from the HR system. Topic hr.assignments.v1, key: employee_id. A later submitted_time for the same employee and valid_from replaces the earlier (ties: the greater event_id). */
export interface AssignmentChanged {
  event_id: string;
  employee_id: string;
  /** The plant (a deployment may serve several plants) */
  plant_id: string;
  /** The team (a line, a cell) the employee belongs to */
  team_id: string;
  /** The employee who leads that team */
  supervisor_id: null | string;
  /** The assignment holds from this instant (epoch milliseconds, UTC) */
  valid_from: number;
  /** Until this instant (null: open) */
  valid_to: null | number;
  /** When HR submitted it: the latest submission for an employee and valid_from stands (epoch milliseconds, UTC) */
  submitted_time: number;
}
