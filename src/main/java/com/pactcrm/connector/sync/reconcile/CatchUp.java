package com.pactcrm.connector.sync.reconcile;

import com.pactcrm.connector.installation.Installation;
import java.time.Instant;

/**
 * One source's catch-up: fetches back what its webhooks or events may have lost and journals it as events of its own,
 * for the dispatcher to process like the rest (issue 15).
 */
public interface CatchUp {

    /**
     * What one run found: events journaled, whether it covered everything it meant to, and what it says about it.
     *
     * @param coveredUntil when not complete: the next run starts there (everything before it is caught up)
     */
    record Result(int recovered, boolean complete, String detail, Instant coveredUntil) {

        public Result(int recovered, boolean complete, String detail) {
            this(recovered, complete, detail, null);
        }
    }

    /** Whether this source has anything to catch up for the installation (its CRM, a connected Pact). */
    boolean appliesTo(Installation installation);

    /** @param since what the previous complete run covered (less an overlap); older changes are not looked for */
    Result run(Installation installation, Instant since);
}
