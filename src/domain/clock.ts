/**
 * The one way code reads time. Domain functions take `now` (epoch milliseconds) as a parameter;
 * services take a Clock so that tests can drive time with a fake one.
 */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
}
