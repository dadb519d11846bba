package com.pactcrm.connector.database;

import java.sql.SQLException;

/**
 * Recognises the transactions InnoDB rolled back to break a deadlock. The MySQL manual asks applications to
 * "always be prepared to re-issue a transaction if it fails due to deadlock"
 * (https://dev.mysql.com/doc/refman/8.0/en/innodb-deadlocks-handling.html): the victim wrote nothing and can simply
 * run again, at once.
 */
public final class LockConflicts {

    private LockConflicts() {
    }

    /** SQLSTATE 40001 anywhere in the cause chain: a deadlock victim (or a serialization failure). */
    public static boolean isDeadlockVictim(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && "40001".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }
}
