package com.pactcrm.connector.sync.inbound;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.sync.EventSource;

/**
 * Applies one journaled event of one source: translate the raw payload (pure), run the use-cases,
 * enqueue outbound commands. It runs inside the dispatcher's transaction, which also marks the
 * event DONE, so its writes happen exactly once.
 */
public interface InboundEventHandler {

    EventSource source();

    /** @return a short outcome for the journal (what was done, or why nothing was) */
    String handle(InboundEvent event, Installation installation);
}
