package com.pactcrm.connector.chat;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationSettings;
import com.pactcrm.connector.pact.outbox.PactCommandPayloads.ConversationNote;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.Outbox;
import io.micronaut.transaction.annotation.Transactional;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * A person wrote a note on a CRM entity: it goes to the top of the comment on the Pact client card of each linked
 * conversation, with its date and author. Pact keeps one comment per conversation (the help page's "Comment") and its
 * API can only replace it (v1 {@code PUT …/conversations/{id}/note}; v2 has no comment at all, pact-api.md §2.1), so
 * the connector keeps the comment it last composed ({@link PactCardCommentRepository}) and writes the new note in front
 * of the earlier ones, newest first, dropping the oldest whole notes that no longer fit. Notes the connector itself
 * wrote must be filtered out by the caller (the translator knows who wrote a note).
 */
@Singleton
public class CommentUseCase {

    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);
    /** Pact documents no limit for the note; a card comment longer than this is not read anyway. */
    static final int MAX_LENGTH = 2000;
    /** Between two notes of the composed comment. */
    static final String SEPARATOR = "\n\n";

    private final ConversationLinkRepository conversations;
    private final Outbox outbox;
    private final PactCardCommentRepository comments;

    public CommentUseCase(ConversationLinkRepository conversations, Outbox outbox, PactCardCommentRepository comments) {
        this.conversations = conversations;
        this.outbox = outbox;
        this.comments = comments;
    }

    @Transactional
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
            String earlier = comments.lock(installation.id(), link.pactConversationId()).map(PactCardComment::text)
                    .orElse(null);
            if (earlier != null && (earlier.equals(note) || earlier.startsWith(note + SEPARATOR)
                    || earlier.contains(SEPARATOR + note + SEPARATOR) || earlier.endsWith(SEPARATOR + note))) {
                // The same note again (its event came twice, e.g. online and then from Bitrix24's offline queue).
                continue;
            }
            String composed = compose(note, earlier);
            comments.save(installation.id(), link.pactConversationId(), composed);
            // The coalesce key keeps one write per conversation waiting: it always carries the whole composed comment.
            outbox.enqueue(installation.id(), CommandKind.PACT_CONVERSATION_NOTE,
                    "note:" + link.pactConversationId() + ":" + eventId, "note:" + link.pactConversationId(),
                    new ConversationNote(link.pactConversationId(), composed), eventId, at);
        }
        return "comment set on " + links.size() + " Pact conversation(s)";
    }

    /** The new note, then the earlier notes that still fit whole in {@link #MAX_LENGTH}, newest first. */
    static String compose(String note, String earlier) {
        StringBuilder out = new StringBuilder(note);
        if (earlier != null && !earlier.isBlank()) {
            for (String older : earlier.split(SEPARATOR)) {
                if (older.isBlank() || out.length() + SEPARATOR.length() + older.length() > MAX_LENGTH) {
                    break;
                }
                out.append(SEPARATOR).append(older);
            }
        }
        return out.toString();
    }
}
