package com.pactcrm.connector.crm.event;

import io.micronaut.core.annotation.Nullable;
import java.time.Instant;

/**
 * What a CRM webhook means for the connector, free of the CRM's wire format. Produced by the CRM
 * translators (amoCRM now, Bitrix24 later); ids are strings because the CRMs' ids are, on some
 * paths, and {@code user_mapping.crm_user_id} stores them as such. {@code at} is when the CRM says
 * the change happened, or null when the webhook does not say. Only what a use-case reads is here:
 * the rest of a webhook is {@link Ignored}.
 */
public sealed interface CrmEvent {

    /** Who is responsible for an entity changed; the Pact assignee follows ({@code ResponsibleUseCase}). */
    record ResponsibleChanged(
            CrmEntityType entityType,
            String entityId,
            String responsibleUserId,
            @Nullable String oldResponsibleUserId,
            @Nullable String modifiedByUserId,
            @Nullable Instant at) implements CrmEvent {
    }

    /**
     * A note was added to an entity's timeline. {@code noteType} is the CRM's own code as sent (amoCRM
     * sends numbers such as {@code 4}); {@code kind} is its meaning. {@code createdByIntegration} is
     * true when the note is recognisably one this connector wrote (loop hazard: mirroring it back
     * would echo our own output), see the translator's note-origin rules.
     */
    record NoteAdded(
            CrmEntityType entityType,
            String entityId,
            @Nullable String noteId,
            @Nullable String noteType,
            NoteKind kind,
            @Nullable String text,
            @Nullable String authorUserId,
            @Nullable String serviceName,
            boolean createdByIntegration,
            @Nullable Instant at) implements CrmEvent {

        /**
         * A note a person typed: common, not ours, not by the CRM robot (author id 0, the id amoCRM's own
         * library uses for "robot", amocrm.md §4.4). A missing author does not disqualify it.
         */
        public boolean writtenByPerson() {
            return kind == NoteKind.COMMON && !createdByIntegration && !"0".equals(authorUserId);
        }
    }

    /** Understood but of no use to the connector (an entity or action it does not follow); the reason goes to the journal. */
    record Ignored(String reason) implements CrmEvent {
    }
}
