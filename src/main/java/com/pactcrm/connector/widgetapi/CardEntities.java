package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.crm.CrmEntityIds;
import com.pactcrm.connector.ops.problem.ProblemException;
import java.util.Set;

/** The card entities the widget API accepts: a lead, deal or contact, by its CRM id ({@link CrmEntityIds}). */
final class CardEntities {

    private static final Set<String> TYPES = Set.of("lead", "deal", "contact");

    private CardEntities() {
    }

    /** @throws ProblemException 400 when the pair is not a card entity */
    static void requireValid(String entityType, String entityId) {
        // Set.of(...).contains(null) throws: an absent entityType is checked first.
        if (entityType == null || !TYPES.contains(entityType) || !CrmEntityIds.valid(entityId)) {
            throw ProblemException.badRequest("entityType must be lead, deal or contact, and entityId a positive "
                    + "64-bit number");
        }
    }
}
