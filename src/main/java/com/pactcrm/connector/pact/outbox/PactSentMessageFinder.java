package com.pactcrm.connector.pact.outbox;

import com.pactcrm.connector.pact.client.PactConversation;
import com.pactcrm.connector.pact.client.PactCredentials;
import com.pactcrm.connector.pact.client.PactGateway;
import com.pactcrm.connector.pact.client.PactMessage;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Pact takes no idempotency key, so after a send that timed out (it may have been applied) the
 * message is looked up before sending again: an outgoing message with the same text in the
 * recipient's conversation, created since the first attempt.
 */
@Singleton
class PactSentMessageFinder {

    /** Pact's clock and ours may disagree a little. */
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
    private static final int CONVERSATIONS_TO_CHECK = 3;
    private static final int MESSAGES_TO_CHECK = 50;

    private final PactGateway pact;

    PactSentMessageFinder(PactGateway pact) {
        this.pact = pact;
    }

    Optional<PactMessage> findWriteFirst(PactCredentials credentials, String provider, String recipient, String text,
                                         Instant since) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        List<PactConversation> found = pact.searchConversations(credentials, recipient, 1, 25);
        return found.stream()
                .filter(c -> provider == null || c.provider() == null || provider.equals(c.provider()))
                .limit(CONVERSATIONS_TO_CHECK)
                .map(c -> findInConversation(credentials, c.id(), text, since))
                .flatMap(Optional::stream)
                .findFirst();
    }

    Optional<PactMessage> findInConversation(PactCredentials credentials, long conversationId, String text,
                                             Instant since) {
        if (text == null || text.isBlank()) {
            // A template or attachment message has no text of ours to recognise it by: rather than take
            // someone else's message for it (and never send ours), it counts as not found.
            return Optional.empty();
        }
        Instant from = since == null ? Instant.EPOCH : since.minus(CLOCK_SKEW);
        return pact.listMessages(credentials, conversationId, 1, MESSAGES_TO_CHECK).stream()
                .filter(m -> !Boolean.TRUE.equals(m.income()))
                .filter(m -> Objects.equals(text.strip(), m.message() == null ? null : m.message().strip()))
                .filter(m -> createdAt(m).map(at -> !at.isBefore(from)).orElse(false))
                .findFirst();
    }

    private static Optional<Instant> createdAt(PactMessage m) {
        try {
            return Optional.ofNullable(m.createdAt()).map(Instant::parse);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
