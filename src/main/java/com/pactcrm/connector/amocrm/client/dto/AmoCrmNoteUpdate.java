package com.pactcrm.connector.amocrm.client.dto;

import java.util.Objects;

/**
 * New content for an existing note ({@code PATCH /api/v4/{entity}/notes}, amocrm.md §4.4). amoCRM wants the
 * note's type and full {@code params} again, not a diff.
 */
public record AmoCrmNoteUpdate(long noteId, long entityId, AmoCrmNoteType noteType, String text, String service) {

    public AmoCrmNoteUpdate {
        Objects.requireNonNull(noteType, "noteType");
        Objects.requireNonNull(text, "text");
        if (noteType == AmoCrmNoteType.SERVICE_MESSAGE && (service == null || service.isBlank())) {
            throw new IllegalArgumentException("A service_message note needs the service name it is shown under");
        }
    }

    public static AmoCrmNoteUpdate common(long noteId, long entityId, String text) {
        return new AmoCrmNoteUpdate(noteId, entityId, AmoCrmNoteType.COMMON, text, null);
    }

    public static AmoCrmNoteUpdate serviceMessage(long noteId, long entityId, String service, String text) {
        return new AmoCrmNoteUpdate(noteId, entityId, AmoCrmNoteType.SERVICE_MESSAGE, text, service);
    }
}
