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

    record Ignored(String reason) implements Bitrix24Event {
    }
}
