package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.ops.problem.ProblemException;
import java.util.Set;

/** The card entities the widget API accepts: a lead, deal or contact, by its numeric CRM id. */
final class CardEntities {

    private static final Set<String> TYPES = Set.of("lead", "deal", "contact");

    private CardEntities() {
    }

    /** @throws ProblemException 400 when the pair is not a card entity */
    static void requireValid(String entityType, String entityId) {
        if (!TYPES.contains(entityType) || entityId == null || !entityId.matches("\\d{1,20}")) {
            throw ProblemException.badRequest("entityType must be lead, deal or contact, and entityId a number");
        }
    }
}
