package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.chat.ChatAttachment;
import com.pactcrm.connector.chat.ChatAttachments;
import com.pactcrm.connector.chat.ConversationHistory;
import com.pactcrm.connector.chat.ConversationLinkRepository;
import com.pactcrm.connector.chat.MessageLink;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.widgetapi.WidgetAuth.Caller;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A linked conversation's messages in the card: {@code GET /api/v1/conversations/{id}/messages?before=&limit=}.
 * Pages come newest first (the first call gets the latest messages, {@code before} the oldest message shown asks for
 * the ones before it); inside a page the messages run oldest to newest, as the card shows them. A conversation not
 * linked to the caller's installation is 404, whoever else it may belong to.
 */
@Controller("/api/v1/conversations")
@ExecuteOn(TaskExecutors.BLOCKING)
class ConversationMessagesController {

    /** {@code kind}: client, operator (a Pact user), or crm (sent from the card by the CRM user {@code name}). */
    record Author(String kind, @Nullable String name) {
    }

    /** {@code url} is the connector's signed, expiring link; {@code image} lets the card show a thumbnail. */
    record Attachment(long id, @Nullable String name, @Nullable String mimeType, @Nullable Long size, String url,
                      boolean image) {
    }

    /**
     * {@code status} is Pact's (created for incoming, sent, delivered, read, error), {@code icon} its meaning (clock,
     * one tick, two ticks, error); {@code at} ISO-8601 UTC; {@code fromHistory}: read from Pact's history, so no webhook will change its status.
     */
    record Message(long id, String at, boolean income, Author author, @Nullable String text, String status, String icon,
                   @Nullable String statusDetails, boolean fromHistory, List<Attachment> attachments) {
    }

    record MessagePage(List<Message> messages, boolean hasMore, boolean historyComplete) {
    }

    static final int DEFAULT_LIMIT = 30;
    static final int MAX_LIMIT = 100;

    private final WidgetAuth auth;
    private final ConversationLinkRepository links;
    private final ConversationHistory history;
    private final AttachmentLinks files;

    ConversationMessagesController(WidgetAuth auth, ConversationLinkRepository links, ConversationHistory history,
                                   AttachmentLinks files) {
        this.auth = auth;
        this.links = links;
        this.history = history;
        this.files = files;
    }

    @Get("/{id}/messages")
    MessagePage messages(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin,
                         @PathVariable String id, @Nullable @QueryValue String before, @Nullable @QueryValue String limit) {
        Caller caller = auth.caller(authorization, origin);
        long conversationId = linkedConversation(caller.installation(), id);
        Long beforeId = before == null || before.isEmpty() ? null : positive(before, "before");
        int size = limit == null || limit.isEmpty() ? DEFAULT_LIMIT : (int) Math.min(positive(limit, "limit"), MAX_LIMIT);
        ConversationHistory.Page page;
        try {
            page = history.page(caller.installation(), conversationId, beforeId, size);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
        List<Message> out = new ArrayList<>(page.messages().size());
        page.messages().forEach(m -> out.add(message(caller.installation().id(), m)));
        Collections.reverse(out);
        return new MessagePage(out, page.hasMore(), page.historyComplete());
    }

    /**
     * @return the conversation id, when it is linked to an entity of the caller's installation
     * @throws ProblemException 400 for an id that is not a positive number, 404 when it is not linked here
     */
    long linkedConversation(Installation installation, String id) {
        long conversationId = positive(id, "conversation id");
        if (links.findByConversation(installation.id(), conversationId).isEmpty()) {
            throw new ProblemException(HttpStatus.NOT_FOUND, "Not Found",
                    "no conversation " + conversationId + " is linked to this CRM account");
        }
        return conversationId;
    }

    Message message(long installationId, MessageLink m) {
        Author author = m.income() ? new Author("client", m.authorName())
                : m.crmUserId() != null ? new Author("crm", m.crmUserName() != null ? m.crmUserName() : "#" + m.crmUserId())
                : new Author("operator", m.authorName());
        List<Attachment> attachments = new ArrayList<>();
        for (ChatAttachment a : ChatAttachments.fromJson(m.attachments())) {
            attachments.add(new Attachment(a.id(), a.name(), a.mimeType(), a.size(),
                    files.link(installationId, m.pactMessageId(), a.id()),
                    a.mimeType() != null && a.mimeType().toLowerCase(Locale.ROOT).startsWith("image/")));
        }
        Instant at = m.pactCreatedAt() != null ? m.pactCreatedAt() : m.createdAt();
        return new Message(m.pactMessageId(), at == null ? null : at.toString(), m.income(),
                author, m.text() != null ? m.text() : m.textPreview(), m.status().name().toLowerCase(Locale.ROOT),
                m.status().icon(), m.statusDetails(), m.fromHistory(), attachments);
    }

    static long positive(String value, String what) {
        if (value == null || !value.matches("[1-9][0-9]{0,18}")) {
            throw ProblemException.badRequest(what + " must be a positive whole number");
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw ProblemException.badRequest(what + " must be a positive whole number");
        }
    }
}
