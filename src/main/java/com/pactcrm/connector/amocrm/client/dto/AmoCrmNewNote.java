package com.pactcrm.connector.amocrm.client.dto;

import java.util.Objects;

/**
 * A note to add to a lead or contact timeline ({@code POST /api/v4/{entity}/notes}, amocrm.md §4.4).
 * {@code service} is only used by {@link AmoCrmNoteType#SERVICE_MESSAGE}.
 */
public record AmoCrmNewNote(long entityId, AmoCrmNoteType noteType, String text, String service) {

    public AmoCrmNewNote {
        Objects.requireNonNull(noteType, "noteType");
        Objects.requireNonNull(text, "text");
        if (noteType == AmoCrmNoteType.SERVICE_MESSAGE && (service == null || service.isBlank())) {
            throw new IllegalArgumentException("A service_message note needs the service name it is shown under");
        }
    }

    public static AmoCrmNewNote common(long entityId, String text) {
        return new AmoCrmNewNote(entityId, AmoCrmNoteType.COMMON, text, null);
    }

    public static AmoCrmNewNote serviceMessage(long entityId, String service, String text) {
        return new AmoCrmNewNote(entityId, AmoCrmNoteType.SERVICE_MESSAGE, text, service);
    }
}
