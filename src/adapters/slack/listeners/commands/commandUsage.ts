import { COMMANDS } from '../../slackIds.ts';

/** The one-line usage of each command, shown for `help` and after bad arguments. */
export const COMMAND_USAGE: Record<(typeof COMMANDS)[keyof typeof COMMANDS], string> = {
  '/away': 'Usage: `/away` (toggle) · `/away 2h` · `/away until 14:00` · `/away until friday` · `/away off` · managers: `/away @rep [duration]`',
  '/leads': 'Usage: `/leads` (my offers and open leads) · `/leads L-17` · `/leads done L-17` · `/leads team` · `/leads stats`',
  '/reassign': 'Usage: `/reassign L-17 @rep [reason]`',
  '/owner': 'Usage: `/owner acme.com @rep` · `/owner acme.com` · `/owner acme.com none`',
};
