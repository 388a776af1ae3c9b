/**
 * Whose App Home is republished, and by which instance. A user's Home is republished when their
 * state changes, once they have opened it; with several instances, the change may happen on one
 * instance and the Home have been opened on another, so the registry is where they meet: every
 * instance marks the users it touched, and each marked user is handed to one instance to publish.
 * In process for SQLite (one writer: `localAppHomeRegistry`), a table on PostgreSQL
 * (src/adapters/postgres/postgresAppHomeRegistry.ts).
 */
export interface AppHomeRegistry {
  /** The user opened their Home (and it is being published now): republished on changes from now on. */
  opened(userId: string, now: number): Promise<void>;
  /** Marks users whose Home should show new state; users who never opened one are left alone. */
  touched(userIds: readonly string[], now: number): Promise<void>;
  /** Users marked since they were last published, at most `limit`, for this instance to publish: each mark is handed out once. */
  takeTouched(limit: number): Promise<string[]>;
}

/** The registry of one process (SQLite: the one instance that writes). */
export function localAppHomeRegistry(): AppHomeRegistry {
  const opened = new Set<string>();
  const dirty = new Set<string>();
  return {
    async opened(userId) {
      opened.add(userId);
      dirty.delete(userId);
    },
    async touched(userIds) {
      for (const userId of userIds) if (opened.has(userId)) dirty.add(userId);
    },
    async takeTouched(limit) {
      const users = [...dirty].slice(0, limit);
      for (const userId of users) dirty.delete(userId);
      return users;
    },
  };
}
