package com.pactcrm.connector.pact.reconcile;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.chat.ConversationLink;
import com.pactcrm.connector.chat.ConversationLinkRepository;
import com.pactcrm.connector.chat.MessageLink;
import com.pactcrm.connector.chat.MessageLinkRepository;
import com.pactcrm.connector.chat.MessageStatus;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationSettings;
import com.pactcrm.connector.pact.client.PactConversation;
import com.pactcrm.connector.pact.client.PactCredentials;
import com.pactcrm.connector.pact.client.PactGateway;
import com.pactcrm.connector.pact.client.PactMessage;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.sync.EventSource;
import com.pactcrm.connector.sync.inbound.WebhookIntake;
import com.pactcrm.connector.sync.reconcile.CatchUp;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Pact retries a webhook 5 times over 5 minutes and then drops it (pact-api.md §3.1, §6 fact 3): what the connector
 * missed while it or the network was down is fetched back. The conversations Pact updated after {@code since} (its list
 * is ordered by {@code last_updated_at}, newest first; one page) that are linked to a CRM entity, or could become a new
 * client's, are read, then each one's newest messages; every message
 * the journal never showed, or whose status moved on, and every linked conversation whose states differ, becomes a
 * journal event shaped like Pact's own v2 webhook. The dispatcher then processes it as it processes a webhook, with the
 * same idempotency (statuses only move forward, one history entry per message), so a catch-up that overlaps webhooks
 * changes nothing. The synthetic bodies are deterministic, so a second catch-up of the same state is a duplicate.
 *
 * <p>Reads go through the Pact client's limiters (10 conversation reads and 20 message reads a minute per token): one
 * conversation page and at most {@code connector.reconciliation.pact.max-conversations} message pages per run; a run
 * that cannot get a permit soon stops and reports itself partial, the rest waits for the next run.
 */
@Singleton
public class PactCatchUp implements CatchUp {

    /** One page of the conversation list: Pact's default size (pact-api.md §1.5); more would be more reads a run. */
    private static final int PAGE = 25;
    private static final int MAX_MESSAGE_PAGES = 3;
    private static final Set<String> STATES = Set.of("replied", "unreplied", "archived", "blocked");

    private final PactGateway pact;
    private final SecretCipher cipher;
    private final MessageLinkRepository messages;
    private final ConversationLinkRepository conversations;
    private final WebhookIntake intake;
    private final ObjectMapper json;
    private final int maxConversations;
    private final int messagesPerConversation;

    public PactCatchUp(PactGateway pact, SecretCipher cipher, MessageLinkRepository messages,
                       ConversationLinkRepository conversations, WebhookIntake intake, ObjectMapper json,
                       @Value("${connector.reconciliation.pact.max-conversations:8}") int maxConversations,
                       @Value("${connector.reconciliation.pact.messages-per-conversation:50}") int messagesPerConversation) {
        this.pact = pact;
        this.cipher = cipher;
        this.messages = messages;
        this.conversations = conversations;
        this.intake = intake;
        this.json = json;
        this.maxConversations = maxConversations;
        this.messagesPerConversation = messagesPerConversation;
    }

    @Override
    public boolean appliesTo(Installation installation) {
        return installation.pactTokenEnc() != null && installation.pactCompanyId() != null;
    }

    @Override
    public Result run(Installation installation, Instant since) {
        PactCredentials credentials = new PactCredentials(cipher.decrypt(installation.pactTokenEnc()),
                installation.pactCompanyId());
        int recovered = 0;
        int looked = 0;
        try {
            // Oldest first, so a run that stops early can say up to when it is caught up. A conversation linked to nothing
            // matters only when a new client there would become CRM work (and never a group's).
            boolean newClients = InstallationSettings.of(installation.settings()).autoCreateClientsOn();
            List<PactConversation> updated = pact.searchConversations(credentials, null, 1, PAGE).stream()
                    .filter(c -> updatedAfter(c, since))
                    .filter(c -> newClients && !Boolean.TRUE.equals(c.group())
                            || !conversations.findByConversation(installation.id(), c.id()).isEmpty())
                    .sorted(Comparator.comparing(PactCatchUp::updatedAt)).toList();
            for (PactConversation c : updated) {
                // A run stops between two update times, never inside one: the next run starts just after the last one
                // it finished, so conversations updated in the same millisecond are never split (or looked at forever).
                Instant last = looked == 0 ? null : updatedAt(updated.get(looked - 1));
                if (looked >= maxConversations && !updatedAt(c).equals(last)) {
                    return new Result(recovered, false, "Pact: " + (updated.size() - looked)
                            + " conversation(s) left for the next run", last.equals(Instant.MAX) ? since : last.plusMillis(1));
                }
                looked++;
                recovered += conversation(installation, credentials, c);
            }
            return new Result(recovered, true, "Pact: " + looked + " conversation(s) updated since " + since);
        } catch (OutboundCallException e) {
            return new Result(recovered, false, "Pact: stopped after " + looked + " conversation(s): " + e.getMessage());
        }
    }

    private int conversation(Installation installation, PactCredentials credentials, PactConversation c) {
        int recovered = 0;
        List<PactMessage> page = newestMessages(credentials, c.id());
        Map<Long, MessageLink> known = new HashMap<>();
        if (!page.isEmpty()) {
            messages.findAll(installation.id(), page.stream().map(PactMessage::id).toList())
                    .forEach(l -> known.put(l.pactMessageId(), l));
        }
        for (PactMessage m : page) {
            Optional<MessageStatus> status = MessageStatus.fromPact(m.status());
            if (status.isEmpty() || Boolean.TRUE.equals(m.deleted())) {
                continue;
            }
            MessageStatus now = Boolean.TRUE.equals(m.income()) ? MessageStatus.CREATED : status.get();
            MessageLink link = known.get(m.id());
            if (link == null || link.status() != now && link.status().canAdvanceTo(now)) {
                recovered += journal(installation, messageEvent(link == null ? "create" : "update", m, c)) ? 1 : 0;
            }
        }
        List<ConversationLink> links = conversations.findByConversation(installation.id(), c.id());
        // Only states the connector acts on (answered or not, archived, blocked); "initialized" and "open" are no news.
        if (!links.isEmpty() && (STATES.contains(c.repliedState()) && !Objects.equals(links.get(0).repliedState(), c.repliedState())
                || STATES.contains(c.operationalState()) && !Objects.equals(links.get(0).operationalState(), c.operationalState()))) {
            recovered += journal(installation, conversationEvent(c)) ? 1 : 0;
        }
        return recovered;
    }

    /**
     * The conversation's newest messages. Pact orders them by {@code external_created_at} without saying which way
     * (pact-api.md §1.5, §7): a first page that runs oldest to newest and is full is followed by the next pages (at most
     * {@value #MAX_MESSAGE_PAGES} in all, each a read of Pact's 20 a minute) so the newest are reached.
     */
    private List<PactMessage> newestMessages(PactCredentials credentials, long conversationId) {
        List<PactMessage> page = pact.listMessages(credentials, conversationId, 1, messagesPerConversation);
        List<PactMessage> read = new ArrayList<>(page);
        for (int n = 2; n <= MAX_MESSAGE_PAGES && page.size() == messagesPerConversation && ascending(page); n++) {
            page = pact.listMessages(credentials, conversationId, n, messagesPerConversation);
            read.addAll(page);
        }
        return read;
    }

    private static boolean ascending(List<PactMessage> page) {
        return page.get(0).id() < page.get(page.size() - 1).id();
    }

    private boolean journal(Installation installation, ObjectNode event) {
        return intake.acceptRecovered(installation.id(), EventSource.PACT, event.toString().getBytes(StandardCharsets.UTF_8),
                "application/json", "pact");
    }

    /** Pact's v2 message webhook (pact-api.md §3.2) for a message read back; the client is the conversation's sender. */
    private ObjectNode messageEvent(String action, PactMessage m, PactConversation c) {
        ObjectNode root = json.createObjectNode().put("event", action).put("type", "message").put("catch_up", true);
        ObjectNode o = root.putObject("object").put("id", m.id()).put("external_id", m.externalId())
                .put("company_id", m.companyId()).put("conversation_id", c.id()).put("income", Boolean.TRUE.equals(m.income()))
                .put("status", m.status()).put("message", m.message()).put("created_at", m.createdAt())
                .put("external_created_at", m.externalCreatedAt());
        o.set("details", m.details());
        o.set("attachments", m.attachments() == null ? json.createArrayNode() : m.attachments());
        if (Boolean.TRUE.equals(m.income())) {
            o.putObject("contact").put("name", c.senderName()).put("phone", c.senderPhone())
                    .put("external_public_id", c.senderExternalPublicId());
        }
        o.set("conversation", conversation(c));
        return root;
    }

    private ObjectNode conversationEvent(PactConversation c) {
        ObjectNode root = json.createObjectNode().put("event", "update").put("type", "conversation").put("catch_up", true);
        root.set("object", conversation(c));
        return root;
    }

    private ObjectNode conversation(PactConversation c) {
        return json.createObjectNode().put("id", c.id()).put("company_id", c.companyId()).put("sender_name", c.senderName())
                .put("sender_phone", c.senderPhone()).put("sender_external_id", c.senderExternalId())
                .put("sender_external_public_id", c.senderExternalPublicId()).put("provider", c.provider())
                .put("last_updated_at", c.lastUpdatedAt()).put("last_message_id", c.lastMessageId())
                .put("operational_state", c.operationalState()).put("replied_state", c.repliedState())
                .put("group", Boolean.TRUE.equals(c.group()));
    }

    /** A conversation without a time is looked at (nothing says it is old). */
    private static boolean updatedAfter(PactConversation c, Instant since) {
        return !updatedAt(c).isBefore(since);
    }

    /** Its {@code last_updated_at}; missing or unreadable: the newest possible, so it is never skipped. */
    private static Instant updatedAt(PactConversation c) {
        try {
            return c.lastUpdatedAt() == null ? Instant.MAX : Instant.parse(c.lastUpdatedAt());
        } catch (DateTimeParseException e) {
            return Instant.MAX;
        }
    }
}
