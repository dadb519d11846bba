package com.pactcrm.connector.bench;

import com.pactcrm.connector.testsupport.Arrivals;
import com.pactcrm.connector.testsupport.TimelineWrite;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One installation's load, from its first webhook to its figures: posts the chains of webhooks at their times,
 * waits until the timeline shows every accepted webhook and the installation's outbox is empty, and reads what
 * the CRM's fake saw since the start.
 */
final class FieldMeasurement {

    /** Webhooks posted in order by one sender, starting {@code offsetMillis} after the load starts. */
    record Chain(long offsetMillis, List<WebhookSender.Webhook> webhooks) {
    }

    /** After the timeline is complete, how long to keep watching for late duplicates (a retried write landing twice). */
    private static final Duration SETTLE = Duration.ofSeconds(1);

    private final FieldRig rig;
    private final FieldTarget target;
    private final boolean history;
    private final boolean burst;
    private final Set<Long> messageIds;
    private final long startNanos;
    private long endNanos;

    /**
     * Starts the load now.
     *
     * @param burst whether the whole load is posted at once, so that the drain time measures the connector against the
     *              CRM's ceiling (for a paced load the posting sets the pace)
     */
    FieldMeasurement(FieldRig rig, FieldTarget target, List<FieldTarget.FieldMessage> messages, List<Chain> load,
                     boolean history, boolean burst) {
        this.rig = rig;
        this.target = target;
        this.history = history;
        this.burst = burst;
        this.messageIds = messages.stream().map(FieldTarget.FieldMessage::id).collect(Collectors.toSet());
        this.startNanos = System.nanoTime();
        for (Chain chain : load) {
            rig.sender.post(startNanos + chain.offsetMillis() * 1_000_000, chain.webhooks());
        }
    }

    /** Each message in one chain: its statuses of {@code ranks} back to back, all messages at once. */
    static List<Chain> burst(FieldTarget target, List<FieldTarget.FieldMessage> messages, int... ranks) {
        List<Chain> load = new ArrayList<>();
        for (FieldTarget.FieldMessage m : messages) {
            List<WebhookSender.Webhook> chain = new ArrayList<>();
            for (int rank : ranks) {
                chain.add(target.status(m, rank));
            }
            load.add(new Chain(0, chain));
        }
        return load;
    }

    /** One message every {@code everyMillis}; its delivered 2 s and its read 5 s after it was sent, as phones answer. */
    static List<Chain> paced(FieldTarget target, List<FieldTarget.FieldMessage> messages, long everyMillis) {
        List<Chain> load = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            long at = i * everyMillis;
            FieldTarget.FieldMessage m = messages.get(i);
            load.add(new Chain(at, List.of(target.status(m, 0))));
            load.add(new Chain(at + 2000, List.of(target.status(m, 1))));
            load.add(new Chain(at + 5000, List.of(target.status(m, 2))));
        }
        return load;
    }

    long startNanos() {
        return startNanos;
    }

    FieldTarget target() {
        return target;
    }

    /** @return whether the timeline completed and the outbox emptied within {@code patience} from now */
    boolean awaitCompletion(Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (System.nanoTime() < deadline) {
            if (rig.sender.awaitIdle(Duration.ZERO) && ledger().tally(target.entries()).complete()
                    && rig.pending(target.installation().id()) <= 0) {
                Thread.sleep(SETTLE.toMillis());
                endNanos = System.nanoTime();
                return true;
            }
            Thread.sleep(250);
        }
        endNanos = System.nanoTime();
        return false;
    }

    /** The figures since the start; call after {@link #awaitCompletion}. */
    FieldRow row(String label) {
        TimelineLedger ledger = ledger();
        List<TimelineWrite> writes = target.writes().stream().filter(w -> w.arrivalNanos() >= startNanos).toList();
        TimelineLedger.Tally tally = ledger.tally(target.entries());
        long completedAt = ledger.completedAt(writes);
        boolean complete = tally.complete() && completedAt != Long.MIN_VALUE;
        long[] arrivals = target.arrivals(startNanos);
        return new FieldRow(label, target.crm(), ledger.expected(), arrivals.length, ledger.writes(writes),
                (ledger.lastAcceptedAt() - startNanos) / 1e9, ((complete ? completedAt : endNanos) - startNanos) / 1e9, complete,
                burst ? ledger.expected() / target.entriesPerSecond() : Double.NaN,
                Arrivals.busiest(arrivals, Duration.ofSeconds(1)), target.refusals(startNanos), target.forbidden(),
                ledger.freshness(writes), tally.missing(), tally.duplicates(), tally.stale(),
                rig.pending(target.installation().id()));
    }

    private TimelineLedger ledger() {
        return new TimelineLedger(history, rig.sender.accepted(), messageIds);
    }
}
