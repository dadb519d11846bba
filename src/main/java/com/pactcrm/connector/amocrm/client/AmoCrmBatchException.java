package com.pactcrm.connector.amocrm.client;

import java.util.List;

/**
 * A multi-request batch failed part-way: the requests before the failing one were applied. Retrying the whole
 * batch would write those entities twice, so the caller resends only from index {@code created().size()} on.
 * Disposition, status and problem are the failing request's.
 */
public class AmoCrmBatchException extends AmoCrmApiException {

    private final List<Long> created;

    public AmoCrmBatchException(AmoCrmApiException failure, List<Long> created) {
        super(failure.getMessage() + " (after " + created.size() + " of the batch were applied)",
                failure.disposition(), failure.status(), failure.problem().orElse(null),
                failure.retryAfter().orElse(null), failure.healthState().orElse(null), failure);
        this.created = List.copyOf(created);
    }

    /** Ids the earlier requests returned, in request order. */
    public List<Long> created() {
        return created;
    }
}
