package com.pactcrm.connector.bitrix24.event;

/**
 * What a journaled Bitrix24 event means for the connector. Event payloads carry ids only (bitrix24.md §3.2),
 * so the rest is read from the portal by the handler.
 */
sealed interface Bitrix24Event {

    /** {@code ONCRM{LEAD,DEAL,CONTACT}UPDATE}: {@code data[FIELDS][ID]}; {@code entityType} is lead, deal or contact. */
    record EntityUpdated(String entityType, String entityId) implements Bitrix24Event {
    }

    /** {@code ONCRMTIMELINECOMMENTADD}: {@code data[FIELDS][ID]}, the comment's id (§3.6). */
    record CommentAdded(String commentId) implements Bitrix24Event {
    }

    /**
     * The connector's automation robot ran in a workflow on a lead, deal or contact: send a Pact message (text) or a WABA
     * template ({@code wabaId} + substitutions, which Bitrix24 has already filled from the document).
     */
    record RobotTriggered(String eventToken, String entityType, String entityId, String text, Long wabaId,
                          java.util.List<String> substitutions) implements Bitrix24Event {
    }

    record Ignored(String reason) implements Bitrix24Event {
    }
}
