/**
 * Thrown inside a unit of work when a compare-and-set lost (a concurrent change moved the row's
 * version on): the work's writes roll back, and the use case answers "stale" with where the lead is now.
 */
export class LostRace extends Error {
  constructor() {
    super('a concurrent change won: nothing was changed');
    this.name = 'LostRace';
  }
}
