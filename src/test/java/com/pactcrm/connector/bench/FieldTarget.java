package com.pactcrm.connector.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.bitrix24.Bitrix24Fake;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.testsupport.AmoCrmFake;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.TimelineWrite;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One installation under load: where its Pact webhooks go, the conversations linked to its CRM entities, and
 * what its CRM (a fake) saw: request arrivals, limit refusals, timeline writes, and the entries there now.
 */
abstract class FieldTarget {

    /** Entries one amoCRM notes request or one Bitrix24 {@code batch} carries at most (amocrm.md §4.5, bitrix24.md §7.1). */
    static final int ENTRIES_PER_REQUEST = 50;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Message ids (and so texts) unique across every installation of the run, whatever CRM it is on. */
    private static final AtomicLong NEXT_MESSAGE_ID = new AtomicLong(7_100_000_000L);

    /** One operator message: its text is unique, so its timeline entries can be told apart. */
    record FieldMessage(long id, long conversationId, String text) {
    }

    private final Installation installation;
    private final List<Long> conversations;

    FieldTarget(Installation installation, List<Long> conversations) {
        this.installation = installation;
        this.conversations = List.copyOf(conversations);
    }

    Installation installation() {
        return installation;
    }

    /** {@code count} new messages, spread over the linked conversations. */
    List<FieldMessage> messages(int count) {
        List<FieldMessage> messages = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long id = NEXT_MESSAGE_ID.getAndIncrement();
            messages.add(new FieldMessage(id, conversations.get(i % conversations.size()), "Pedido " + id + " confirmado"));
        }
        return messages;
    }

    /**
     * Pact's webhook for a status of an operator's message (pact-api.md §3.2): {@code create} with status sent
     * (rank 0), then {@code update}s delivered (1) and read (2).
     */
    WebhookSender.Webhook status(FieldMessage m, int rank) {
        String fixture = switch (rank) {
            case 0 -> "message-create-outgoing";
            case 1 -> "message-update-delivered";
            default -> "message-update-read";
        };
        try {
            ObjectNode body = (ObjectNode) JSON.readTree(PactWebhooks.message(fixture, m.id(), m.conversationId()));
            ((ObjectNode) body.get("object")).put("message", m.text());
            return new WebhookSender.Webhook("/pact/webhooks/" + installation.pactHookKey(), "application/json",
                    JSON.writeValueAsString(body), m.id(), rank, rank == 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    abstract String crm();

    /** The most timeline entries the CRM takes a second: its request rate limit × entries a request carries. */
    abstract double entriesPerSecond();

    /** When requests reached the account or portal, ascending. */
    abstract long[] arrivals(long fromNanos);

    /** Requests refused for the rate limit: amoCRM's 429, Bitrix24's 503 QUERY_LIMIT_EXCEEDED. */
    abstract int refusals(long fromNanos);

    /** Requests refused because amoCRM blocked the account (403); Bitrix24 has no such block. */
    abstract int forbidden();

    /** Timeline entries written (created or edited) on this installation's entities. */
    abstract List<TimelineWrite> writes();

    /** The texts of the timeline entries on this installation's entities now. */
    abstract List<String> entries();

    static final class AmoCrmAccount extends FieldTarget {
        private final AmoCrmFake amo;
        private final String host;

        AmoCrmAccount(Installation installation, List<Long> conversations, AmoCrmFake amo, String host) {
            super(installation, conversations);
            this.amo = amo;
            this.host = host;
        }

        String host() {
            return host;
        }

        @Override
        String crm() {
            return "amoCRM";
        }

        @Override
        double entriesPerSecond() {
            return AmoCrmFake.REQUESTS_PER_SECOND * ENTRIES_PER_REQUEST;
        }

        @Override
        long[] arrivals(long fromNanos) {
            return amo.arrivals(host, fromNanos);
        }

        @Override
        int refusals(long fromNanos) {
            return amo.tooManyRequests(host, fromNanos);
        }

        @Override
        int forbidden() {
            return amo.forbidden(host);
        }

        @Override
        List<TimelineWrite> writes() {
            return amo.writes(host);
        }

        @Override
        List<String> entries() {
            return amo.noteTexts(host);
        }
    }

    static final class Bitrix24Portal extends FieldTarget {
        private final Bitrix24Fake b24;
        private final Set<String> deals;

        Bitrix24Portal(Installation installation, List<Long> conversations, Bitrix24Fake b24, Set<String> deals) {
            super(installation, conversations);
            this.b24 = b24;
            this.deals = Set.copyOf(deals);
        }

        @Override
        String crm() {
            return "Bitrix24";
        }

        @Override
        double entriesPerSecond() {
            return Bitrix24Fake.BUCKET_DRAIN_PER_SECOND * ENTRIES_PER_REQUEST;
        }

        @Override
        long[] arrivals(long fromNanos) {
            return b24.arrivals(fromNanos);
        }

        @Override
        int refusals(long fromNanos) {
            return b24.queryLimitRefusals(fromNanos);
        }

        @Override
        int forbidden() {
            return 0;
        }

        @Override
        List<TimelineWrite> writes() {
            return b24.commentWrites().stream().filter(w -> deals.contains(w.entityId())).toList();
        }

        @Override
        List<String> entries() {
            return b24.comments().stream().filter(c -> "deal".equals(c.entityType()) && deals.contains(c.entityId()))
                    .map(Bitrix24Fake.Comment::text).toList();
        }
    }
}
