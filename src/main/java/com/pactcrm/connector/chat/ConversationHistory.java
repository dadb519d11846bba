package com.pactcrm.connector.chat;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.pact.client.PactCredentials;
import com.pactcrm.connector.pact.client.PactGateway;
import com.pactcrm.connector.pact.client.PactMessage;
import com.pactcrm.connector.pact.webhook.PactWebhookTranslator;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A linked conversation's messages for the card. What webhooks brought is stored ({@code message_link}); what came
 * before the connector was there is back-filled from Pact's {@code GET /conversations/{id}/messages}, one page per
 * card request at most and each page once ({@code conversation_history}): the first page when the conversation is
 * first opened, a further one only when the manager pages back past what is stored. Pact allows 20 message reads a
 * minute per token (pact-api.md §1.4); the per-token limiter of {@code PactHttpClient} holds that, and a read it
 * cannot fit in within {@code connector.pact.max-limiter-wait} is skipped: the card shows what is stored and the next
 * request tries again.
 */
@Singleton
public class ConversationHistory {

    /** A page of messages, newest first, and whether older ones exist (stored, or still at Pact). */
    public record Page(List<MessageLink> messages, boolean hasMore, boolean historyComplete) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(ConversationHistory.class);

    private final MessageLinkRepository messages;
    private final ConversationHistoryRepository histories;
    private final ConversationLinkRepository links;
    private final PactGateway pact;
    private final SecretCipher cipher;
    private final Clock clock;
    private final int perPage;
    /**
     * Back-fills in progress, by installation and conversation: a second request for the same conversation waits
     * for the first one's read instead of making its own. Only linked conversations get here, and entries leave when
     * their read ends.
     */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> reading = new ConcurrentHashMap<>();

    public ConversationHistory(MessageLinkRepository messages, ConversationHistoryRepository histories,
                               ConversationLinkRepository links, PactGateway pact, SecretCipher cipher, Clock clock,
                               @Value("${connector.card.history-page-size:150}") int perPage) {
        this.messages = messages;
        this.histories = histories;
        this.links = links;
        this.pact = pact;
        this.cipher = cipher;
        this.clock = clock;
        this.perPage = perPage;
    }

    /**
     * @param before a message of this conversation: the page ends just before it; null for the newest page
     * @throws IllegalArgumentException when {@code before} is not a message of this conversation
     */
    public Page page(Installation installation, long conversationId, Long before, int limit) {
        long inst = installation.id();
        Instant beforeAt = null;
        Long beforeId = null;
        if (before != null) {
            MessageLink anchor = messages.find(inst, before).filter(m -> m.pactConversationId() == conversationId)
                    .orElseThrow(() -> new IllegalArgumentException("message " + before + " is not in this conversation"));
            beforeAt = at(anchor);
            beforeId = anchor.id();
        }
        Optional<ConversationHistoryRepository.HistoryRead> read = histories.find(inst, conversationId);
        List<MessageLink> page = messages.pageInConversation(inst, conversationId, beforeAt, beforeId, limit + 1);
        boolean needsPage = read.isEmpty() || (!read.get().complete() && before != null && page.size() <= limit);
        if (needsPage && backfill(installation, conversationId, read.map(r -> r.pagesRead() + 1).orElse(1))) {
            page = messages.pageInConversation(inst, conversationId, beforeAt, beforeId, limit + 1);
            read = histories.find(inst, conversationId);
        }
        boolean complete = read.map(ConversationHistoryRepository.HistoryRead::complete).orElse(false);
        boolean hasMore = page.size() > limit || !complete;
        return new Page(page.size() > limit ? page.subList(0, limit) : page, hasMore, complete);
    }

    /** @return whether the page was read (by this request or one it waited for) */
    private boolean backfill(Installation installation, long conversationId, int pageNumber) {
        if (installation.pactTokenEnc() == null || installation.pactCompanyId() == null) {
            return false;
        }
        String key = installation.id() + ":" + conversationId;
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> running = reading.putIfAbsent(key, mine);
        if (running != null) {
            return running.handle((ok, error) -> error == null).join();
        }
        try {
            readPage(installation, conversationId, pageNumber);
            mine.complete(null);
            return true;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            if (e instanceof OutboundCallException) {
                LOG.info("event=history_backfill_skipped installationId={} conversationId={} page={} reason=\"{}\"",
                        installation.id(), conversationId, pageNumber, e.getMessage());
                return false;
            }
            throw e;
        } finally {
            reading.remove(key, mine);
        }
    }

    private void readPage(Installation installation, long conversationId, int pageNumber) {
        PactCredentials credentials = new PactCredentials(cipher.decrypt(installation.pactTokenEnc()),
                installation.pactCompanyId());
        List<PactMessage> found = pact.listMessages(credentials, conversationId, pageNumber, perPage);
        String clientName = links.findByConversation(installation.id(), conversationId).stream()
                .map(l -> l.senderName() != null ? l.senderName() : l.senderPublicId())
                .filter(n -> n != null).findFirst().orElse(null);
        int added = 0;
        for (PactMessage m : found) {
            if (Boolean.TRUE.equals(m.deleted())) {
                continue;
            }
            boolean income = Boolean.TRUE.equals(m.income());
            MessageStatus status = income ? MessageStatus.CREATED
                    : MessageStatus.fromPact(m.status()).orElse(MessageStatus.SENT);
            added += messages.insert(installation.id(), m.id(), conversationId, m.externalId(), income, status.name(),
                    m.details() == null || m.details().isNull() ? null : m.details().toString(), m.message(),
                    instant(m.externalCreatedAt() != null ? m.externalCreatedAt() : m.createdAt()),
                    income ? clientName : null, ChatAttachments.toJson(PactWebhookTranslator.attachments(
                            m.attachments() == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance()
                                    : m.attachments())), true);
        }
        // Pact marks the last page only by returning fewer entries than asked for (pact-api.md §1.5).
        boolean complete = found.size() < perPage;
        histories.recordPage(installation.id(), conversationId, pageNumber, complete, clock.instant());
        LOG.info("event=history_backfilled installationId={} conversationId={} page={} messages={} added={} complete={}",
                installation.id(), conversationId, pageNumber, found.size(), added, complete);
    }

    static Instant at(MessageLink m) {
        return m.pactCreatedAt() != null ? m.pactCreatedAt() : m.createdAt();
    }

    private static Instant instant(String iso) {
        try {
            return iso == null ? null : Instant.parse(iso);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
