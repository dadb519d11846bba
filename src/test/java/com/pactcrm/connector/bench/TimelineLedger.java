package com.pactcrm.connector.bench;

import com.pactcrm.connector.testsupport.TimelineWrite;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one installation's CRM timeline must show after the webhooks it accepted, and how it measures up: per
 * message a status entry with the latest status sent (edited in place, never a second one), and with history
 * on a history entry for each message created; entries missing, written more than once (duplicates),
 * or behind the latest status (stale); and per webhook, the time from its acceptance to the first CRM write
 * that shows it (freshness).
 *
 * <p>The connector's texts quote the message ({@code Mensagem “…” — ✓✓ lida}, {@code Operador …: “…”}, behind
 * {@code Pact · } on Bitrix24), and every message text here is unique ({@code Pedido <id> confirmado}).
 */
final class TimelineLedger {

    private static final Pattern MESSAGE = Pattern.compile("Pedido (\\d+) confirmado");

    /** An entry of a message: its status entry, or its history entry. */
    private record Key(long messageId, boolean history) {
    }

    private record Parsed(Key key, int rank) {
    }

    private final boolean history;
    /** Latest status rank each message was sent, from the accepted webhooks. */
    private final Map<Long, Integer> expectedRank = new HashMap<>();
    private final List<WebhookSender.Accepted> accepted = new ArrayList<>();

    TimelineLedger(boolean history, List<WebhookSender.Accepted> all, Set<Long> messageIds) {
        this.history = history;
        for (WebhookSender.Accepted a : all) {
            if (messageIds.contains(a.webhook().messageId())) {
                accepted.add(a);
                expectedRank.merge(a.webhook().messageId(), a.webhook().rank(), Math::max);
            }
        }
    }

    /** When the last of the load's webhooks was accepted. */
    long lastAcceptedAt() {
        return accepted.stream().mapToLong(WebhookSender.Accepted::atNanos).max().orElse(Long.MIN_VALUE);
    }

    /** Entries the timeline must end with. */
    int expected() {
        return expectedRank.size() * (history ? 2 : 1);
    }

    /** Writes (creations and edits) of entries of this ledger's messages. */
    int writes(List<TimelineWrite> writes) {
        return (int) writes.stream().map(w -> parse(w.text()))
                .filter(p -> p != null && expectedRank.containsKey(p.key().messageId())).count();
    }

    /** How the entries there now compare with the expected ones. */
    Tally tally(List<String> entries) {
        Map<Key, Integer> copies = new HashMap<>();
        Map<Long, Integer> bestRank = new HashMap<>();
        for (String text : entries) {
            Parsed p = parse(text);
            if (p != null && expectedRank.containsKey(p.key().messageId())) {
                copies.merge(p.key(), 1, Integer::sum);
                if (!p.key().history()) {
                    bestRank.merge(p.key().messageId(), p.rank(), Math::max);
                }
            }
        }
        int missing = 0;
        int duplicates = 0;
        int stale = 0;
        for (Map.Entry<Long, Integer> m : expectedRank.entrySet()) {
            for (Key key : keys(m.getKey())) {
                int n = copies.getOrDefault(key, 0);
                missing += n == 0 ? 1 : 0;
                duplicates += Math.max(0, n - 1);
            }
            Integer best = bestRank.get(m.getKey());
            if (best != null && best < m.getValue()) {
                stale++;
            }
        }
        return new Tally(missing, duplicates, stale);
    }

    record Tally(int missing, int duplicates, int stale) {
        boolean complete() {
            return missing == 0 && stale == 0;
        }
    }

    /**
     * The arrival of the write that completed the timeline: for every expected entry, its first write in its final
     * form; the latest of those. Long.MIN_VALUE when some entry never got there.
     */
    long completedAt(List<TimelineWrite> writes) {
        Map<Key, Long> done = new HashMap<>();
        for (TimelineWrite w : writes) {
            Parsed p = parse(w.text());
            if (p == null || !expectedRank.containsKey(p.key().messageId())) {
                continue;
            }
            if (p.key().history() || p.rank() >= expectedRank.get(p.key().messageId())) {
                done.merge(p.key(), w.arrivalNanos(), Math::min);
            }
        }
        long latest = Long.MIN_VALUE;
        for (long messageId : expectedRank.keySet()) {
            for (Key key : keys(messageId)) {
                Long at = done.get(key);
                if (at == null) {
                    return Long.MIN_VALUE;
                }
                latest = Math.max(latest, at);
            }
        }
        return latest;
    }

    /**
     * Per accepted webhook, nanoseconds from its acceptance to the first write at or after it that shows its status
     * or a later one; a {@code create} with history on also to the first write of its history entry. A webhook no
     * write answered (its entry lost, or a later status already shown before it came) has no sample.
     */
    long[] freshness(List<TimelineWrite> writes) {
        Map<Key, List<long[]>> byKey = new HashMap<>();
        for (TimelineWrite w : writes) {
            Parsed p = parse(w.text());
            if (p != null) {
                byKey.computeIfAbsent(p.key(), k -> new ArrayList<>()).add(new long[] {w.arrivalNanos(), p.rank()});
            }
        }
        List<Long> samples = new ArrayList<>();
        for (WebhookSender.Accepted a : accepted) {
            long id = a.webhook().messageId();
            firstAfter(byKey.get(new Key(id, false)), a.atNanos(), a.webhook().rank()).ifPresent(samples::add);
            if (history && a.webhook().created()) {
                firstAfter(byKey.get(new Key(id, true)), a.atNanos(), 0).ifPresent(samples::add);
            }
        }
        return samples.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    private static Optional<Long> firstAfter(List<long[]> writes, long from, int rank) {
        if (writes == null) {
            return Optional.empty();
        }
        return writes.stream().filter(w -> w[0] >= from && w[1] >= rank).map(w -> w[0] - from).min(Long::compare);
    }

    private List<Key> keys(long messageId) {
        return history ? List.of(new Key(messageId, false), new Key(messageId, true)) : List.of(new Key(messageId, false));
    }

    private static Parsed parse(String text) {
        Matcher m = MESSAGE.matcher(text == null ? "" : text);
        if (!m.find()) {
            return null;
        }
        String t = text.startsWith("Pact · ") ? text.substring("Pact · ".length()) : text;
        boolean history = !t.startsWith("Mensagem ");
        int rank = t.contains("✓✓") ? 2 : t.contains("✓ entregue") ? 1 : 0;
        return new Parsed(new Key(Long.parseLong(m.group(1)), history), rank);
    }
}
