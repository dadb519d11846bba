package com.pactcrm.connector.amocrm.webhook;

import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How to recognise notes this connector wrote itself when they come back as {@code note_lead} /
 * {@code note_contact} webhooks (amocrm.md §2.6, loop hazard). amoCRM documents no marker for "written
 * by integration X", so both rules are configuration, not constants:
 * <ul>
 *   <li>{@code integrationAuthorIds}: {@code created_by} ids our notes carry (for example the user
 *       whose token the connector uses, when notes are written without an explicit author);</li>
 *   <li>{@code integrationServiceNames}: the {@code params.service} our {@code service_message}
 *       notes are written with (amocrm.md §4.4), compared ignoring case.</li>
 * </ul>
 * The third rule of §2.6, "a record of note ids you created", needs storage and belongs to the
 * receiver, which sees {@link com.pactcrm.connector.crm.event.CrmEvent.NoteAdded#noteId()}.
 */
public record AmoCrmNoteOrigin(Set<String> integrationAuthorIds, Set<String> integrationServiceNames) {

    public AmoCrmNoteOrigin {
        integrationAuthorIds = integrationAuthorIds == null ? Set.of() : Set.copyOf(integrationAuthorIds);
        integrationServiceNames = integrationServiceNames == null ? Set.of()
                : integrationServiceNames.stream().map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** No rule: every note counts as someone else's. */
    public static AmoCrmNoteOrigin none() {
        return new AmoCrmNoteOrigin(Set.of(), Set.of());
    }

    public boolean isOurs(String authorUserId, String serviceName) {
        return (authorUserId != null && integrationAuthorIds.contains(authorUserId))
                || (serviceName != null && integrationServiceNames.contains(serviceName.toLowerCase(Locale.ROOT)));
    }
}
