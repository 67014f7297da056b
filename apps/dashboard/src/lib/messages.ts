import { z } from 'zod';

/**
 * How the contract's checks read in the dashboard: the schemas are the contract's own; only the
 * wording of zod's generic messages is made for people. Messages a schema states itself (a
 * duplicate id, a NUL character) are kept.
 */
export function useFriendlyMessages() {
  z.config({
    customError: (issue) => {
      const size = issue as { minimum?: number | bigint; maximum?: number | bigint };
      if (issue.code === 'too_small' && issue.origin === 'string') {
        return Number(size.minimum) <= 1 ? 'Required' : `At least ${size.minimum} characters`;
      }
      if (issue.code === 'too_big' && issue.origin === 'string') return `At most ${size.maximum} characters`;
      if (issue.code === 'too_small' && issue.origin === 'array') return `Choose at least ${size.minimum}`;
      if (issue.code === 'too_big' && issue.origin === 'array') return `Choose at most ${size.maximum}`;
      if (issue.code === 'too_small' && issue.origin === 'number') return `At least ${size.minimum}`;
      if (issue.code === 'too_big' && issue.origin === 'number') return `At most ${size.maximum}`;
      if (issue.code === 'invalid_type' && issue.expected === 'number') return 'Enter a whole number';
      if (issue.code === 'invalid_format' && issue.format === 'email') return 'Enter an email address';
      return undefined;
    },
  });
}
