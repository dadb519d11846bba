package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.chat.ChatAttachment;
import com.pactcrm.connector.chat.ChatAttachments;
import com.pactcrm.connector.chat.ConversationHistory;
import com.pactcrm.connector.chat.ConversationLinkRepository;
import com.pactcrm.connector.chat.ConversationLink;
import com.pactcrm.connector.chat.MessageLink;
import com.pactcrm.connector.chat.MessageLinkRepository;
import com.pactcrm.connector.chat.ReplyUseCase;
import com.pactcrm.connector.chat.ReplyUseCase.ReplyRule;
import com.pactcrm.connector.quickreply.QuickReplyTemplate;
import com.pactcrm.connector.quickreply.QuickReplyTemplateRepository;
import com.pactcrm.connector.quickreply.QuickReplyText;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Post;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.widgetapi.WidgetAuth.Caller;
import io.micronaut.core.annotation.Nullable;
import jakarta.annotation.PreDestroy;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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

    /** {@code reply}: what the card may send now (free text, or only a WABA template) and why. */
    record MessagePage(List<Message> messages, boolean hasMore, boolean historyComplete, ReplyRule reply, String cursor) {
    }

    /**
     * What changed since the card's {@code cursor}: new messages and messages whose status moved, oldest change
     * first (the card replaces a message it shows by id); {@code cursor} is the one to ask with next.
     */
    record Updates(List<Message> messages, ReplyRule reply, String cursor) {
    }

    /** Exactly one of text (with or without an attachment), quickReplyId, wabaTemplateId (+ substitutions). */
    record ReplyRequest(@Nullable String requestId, @Nullable String text, @Nullable Long quickReplyId,
                        @Nullable Long wabaTemplateId, @Nullable List<String> substitutions, @Nullable Long attachmentId) {
    }

    /** The answer while Pact has not taken the message yet ({@code status} queued). */
    record Queued(String requestId, String status) {
    }

    static final int DEFAULT_LIMIT = 30;
    static final int MAX_LIMIT = 100;
    /** Below the 30 s a proxy or the browser commonly allows an idle request. */
    static final long MAX_WAIT_SECONDS = 25;

    private final WidgetAuth auth;
    private final ConversationLinkRepository links;
    private final ConversationHistory history;
    private final AttachmentLinks files;
    private final ReplyUseCase replies;
    private final CommandOutcomes outcomes;
    private final MessageLinkRepository messages;
    private final CardAttachmentRepository attachments;
    private final QuickReplyTemplateRepository quickReplies;
    private final WidgetSettings settings;
    private final ConversationWaiters waiters;
    /**
     * Reads the news once a wait ends. The wait ends on the thread that committed the change (inside the dispatcher's
     * transaction synchronisation) or on the timer's: the read must run elsewhere, on a thread that carries neither's
     * connection.
     */
    private final ExecutorService afterWait = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "card-updates");
        t.setDaemon(true);
        return t;
    });

    ConversationMessagesController(ConversationWaiters waiters,
                                   WidgetAuth auth, ConversationLinkRepository links, ConversationHistory history,
                                   AttachmentLinks files, ReplyUseCase replies, CommandOutcomes outcomes,
                                   MessageLinkRepository messages, CardAttachmentRepository attachments,
                                   QuickReplyTemplateRepository quickReplies, WidgetSettings settings) {
        this.waiters = waiters;
        this.replies = replies;
        this.outcomes = outcomes;
        this.messages = messages;
        this.attachments = attachments;
        this.quickReplies = quickReplies;
        this.settings = settings;
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
        long inst = caller.installation().id();
        return new MessagePage(out, page.hasMore(), page.historyComplete(),
                replies.rule(inst, links.findByConversation(inst, conversationId).get(0)),
                cursor(messages.lastChange(inst, conversationId).orElse(Instant.EPOCH)));
    }

    /**
     * Long polling: answers as soon as a message of the conversation is stored or changes after {@code cursor}
     * (within {@code wait} seconds, at most 25), else with no messages. The wait holds no thread (see
     * {@link ConversationWaiters}).
     */
    @Get("/{id}/messages/updates")
    CompletableFuture<Updates> updates(@Nullable @Header("Authorization") String authorization,
                                       @Nullable @Header("Origin") String origin, @PathVariable String id,
                                       @Nullable @QueryValue String cursor, @Nullable @QueryValue String wait) {
        Caller caller = auth.caller(authorization, origin);
        long conversationId = linkedConversation(caller.installation(), id);
        long inst = caller.installation().id();
        Instant after = cursor == null || cursor.isEmpty() ? Instant.now() : Instant.ofEpochMilli(positive(cursor, "cursor"));
        Duration timeout = Duration.ofSeconds(wait == null || wait.isEmpty() ? MAX_WAIT_SECONDS
                : Math.min(positive(wait, "wait"), MAX_WAIT_SECONDS));
        Optional<Updates> now = changes(inst, conversationId, after);
        if (now.isPresent()) {
            return CompletableFuture.completedFuture(now.get());
        }
        return waiters.await(inst, conversationId, after, timeout).thenApplyAsync(changed ->
                changes(inst, conversationId, after).orElseGet(() -> new Updates(List.of(),
                        replies.rule(inst, links.findByConversation(inst, conversationId).get(0)), cursor(after))), afterWait);
    }

    private Optional<Updates> changes(long inst, long conversationId, Instant after) {
        // updated_at is set when a row is written, and transactions commit in another order than they write: a change
        // stamped just before the cursor may become visible just after it was taken. Changes of the last second before
        // the cursor are sent again (the card replaces messages by id); only a newer one ends the wait.
        List<MessageLink> changed = messages.changedSince(inst, conversationId, after.minusSeconds(1), MAX_LIMIT);
        if (changed.stream().noneMatch(m -> m.updatedAt() != null && m.updatedAt().isAfter(after))) {
            return Optional.empty();
        }
        List<Message> out = changed.stream().map(m -> message(inst, m)).toList();
        Instant latest = changed.get(changed.size() - 1).updatedAt();
        return Optional.of(new Updates(out, replies.rule(inst, links.findByConversation(inst, conversationId).get(0)),
                cursor(latest == null ? after : latest)));
    }

    private static String cursor(Instant at) {
        return Long.toString(Math.max(1, at.toEpochMilli()));
    }

    /**
     * A reply from the card, sent once per {@code requestId}: 200 with the message once Pact took it, 202 while it
     * is still queued (ask again with the same requestId), 422 problem+json when the channel does not allow it now
     * (WhatsApp Business outside the 24-hour window without a template) or Pact refused it for good.
     */
    @Post("/{id}/messages")
    HttpResponse<?> reply(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin,
                          @PathVariable String id, @Body ReplyRequest request) {
        Caller caller = auth.caller(authorization, origin);
        Installation installation = caller.installation();
        long conversationId = linkedConversation(installation, id);
        if (request.requestId() == null || request.requestId().isBlank() || request.requestId().length() > 100) {
            throw ProblemException.badRequest("requestId is required (at most 100 characters)");
        }
        String key = "reply:" + request.requestId();
        if (!outcomes.queued(installation.id(), key)) {
            queue(caller, conversationId, request);
        }
        CommandOutcomes.Outcome outcome = outcomes.await(installation.id(), key);
        return switch (outcome.state()) {
            case DONE -> HttpResponse.ok(messages.find(installation.id(), Long.parseLong(outcome.remoteId()))
                    .map(m -> message(installation.id(), m))
                    .orElseThrow(() -> new IllegalStateException("sent message " + outcome.remoteId() + " not recorded")));
            case DEAD -> throw new ProblemException(HttpStatus.UNPROCESSABLE_ENTITY, "Not sent",
                    CommandOutcomes.plainReason(outcome.lastError()));
            default -> HttpResponse.accepted().body(new Queued(request.requestId(), "queued"));
        };
    }

    private void queue(Caller caller, long conversationId, ReplyRequest request) {
        Installation installation = caller.installation();
        List<ConversationLink> conversationLinks = links.findByConversation(installation.id(), conversationId);
        if (request.attachmentId() != null && attachments.find(installation.id(), request.attachmentId()).isEmpty()) {
            throw ProblemException.badRequest("there is no attachment " + request.attachmentId()
                    + " uploaded from this CRM account: upload the file first");
        }
        String text = request.text();
        if (request.quickReplyId() != null && (text == null || text.isBlank())) {
            QuickReplyTemplate template = quickReplies.find(installation.id(), request.quickReplyId())
                    .orElseThrow(() -> ProblemException.badRequest("there is no quick reply " + request.quickReplyId()));
            ConversationLink link = conversationLinks.get(0);
            text = QuickReplyText.fill(template.body(), link.senderName() != null ? link.senderName() : link.senderPublicId(),
                    settings.userName(caller));
        }
        try {
            replies.reply(installation, conversationLinks, request.requestId(), caller.session().crmUserId(),
                    settings.userName(caller), text, request.attachmentId(), request.wabaTemplateId(), request.substitutions());
        } catch (ReplyUseCase.ReplyRefused e) {
            throw new ProblemException(HttpStatus.UNPROCESSABLE_ENTITY, "Reply not allowed", e.getMessage());
        } catch (IllegalArgumentException e) {
            // The outbox refuses a command it could not store whole.
            throw ProblemException.badRequest("the message is too large");
        }
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

    @PreDestroy
    void stopReading() {
        afterWait.shutdownNow();
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
