package com.pactcrm.connector.chat;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationSettings;
import com.pactcrm.connector.pact.outbox.PactCommandPayloads.ConversationNote;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.Outbox;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * A person wrote a note on a CRM entity: it becomes the comment on the Pact client card of each
 * linked conversation. Pact keeps one comment per conversation (the help page's "Comment"), so the
 * latest note replaces it, shown with its date and author. Notes the connector itself wrote must
 * be filtered out by the caller (the translator knows who wrote a note).
 */
@Singleton
public class CommentUseCase {

    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);
    /** Pact documents no limit for the note; a card comment longer than this is not read anyway. */
    private static final int MAX_LENGTH = 2000;

    private final ConversationLinkRepository conversations;
    private final Outbox outbox;

    public CommentUseCase(ConversationLinkRepository conversations, Outbox outbox) {
        this.conversations = conversations;
        this.outbox = outbox;
    }

    public String apply(Installation installation, String entityType, String entityId, String author, String text,
                        Instant at, long eventId) {
        if (!InstallationSettings.of(installation.settings()).commentsOn()) {
            return "comments are off";
        }
        if (text == null || text.isBlank()) {
            return "empty note ignored";
        }
        List<ConversationLink> links = conversations.findByEntity(installation.id(), entityType, entityId);
        if (links.isEmpty()) {
            return entityType + " " + entityId + " has no Pact conversation";
        }
        String note = WHEN.format(at == null ? Instant.now() : at) + " · " + (author == null ? "CRM" : author) + ": "
                + text.strip();
        if (note.length() > MAX_LENGTH) {
            note = note.substring(0, MAX_LENGTH - 1) + "…";
        }
        for (ConversationLink link : links) {
            outbox.enqueue(installation.id(), CommandKind.PACT_CONVERSATION_NOTE,
                    "note:" + link.pactConversationId() + ":" + eventId, "note:" + link.pactConversationId(),
                    new ConversationNote(link.pactConversationId(), note), eventId, at);
        }
        return "comment set on " + links.size() + " Pact conversation(s)";
    }
}
