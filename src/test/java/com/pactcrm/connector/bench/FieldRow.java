package com.pactcrm.connector.bench;

import java.util.List;
import java.util.Locale;
import java.util.stream.LongStream;

/**
 * The figures of one installation's load in one run (or of several runs together), one printed line.
 *
 * @param entries        timeline entries the load asks for (status entries, and history entries when on)
 * @param calls          requests that reached the CRM's fake for the installation, whatever the answer; entries per
 *                       call counts the entries there at the end
 * @param writes         entries written, created or edited, in all those requests
 * @param postSeconds    from the first webhook posted to the last one accepted
 * @param drainSeconds   from the first webhook posted to the write that completed the timeline (or to the end
 *                       of waiting, when it never completed)
 * @param minimumSeconds the physical minimum for {@code entries} at the CRM's ceiling (NaN for a paced load,
 *                       whose drain time the posting sets)
 * @param refusals       amoCRM 429s or Bitrix24 503 QUERY_LIMIT_EXCEEDED
 * @param forbidden      amoCRM 403s of a blocked account
 * @param freshness      nanoseconds from each webhook's acceptance to the CRM write that showed it, ascending
 * @param missing        expected entries not in the timeline at the end: lost, unless commands are still pending
 * @param duplicates     entries there more than once (each extra copy counts)
 * @param stale          status entries behind the message's latest status
 * @param pending        outbox commands of the installation still pending or in flight at the end (-1: unknown)
 */
record FieldRow(String label, String crm, int entries, int calls, int writes, double postSeconds, double drainSeconds,
                boolean complete,
                double minimumSeconds, int busiestSecond, int refusals, int forbidden, long[] freshness,
                int missing, int duplicates, int stale, long pending) {

    private static final String FORMAT = "%-9s %-8s %7s %6s %9s %6s %6s %8s %6s %6s %7s %4s %7s %7s %7s %4s %5s %7s%n";

    static String header() {
        return String.format(Locale.ROOT, FORMAT, "run", "crm", "entries", "calls", "entr/call", "writes", "post s", "drain s",
                "÷min", "busy1s", "429/503", "403", "p50 ms", "p95 ms", "missing", "dup", "stale", "pending");
    }

    String line() {
        return String.format(Locale.ROOT, FORMAT, label, crm, entries, calls,
                calls == 0 ? "—" : String.format(Locale.ROOT, "%.1f", (double) (entries - missing) / calls), writes,
                String.format(Locale.ROOT, "%.1f", postSeconds),
                (complete ? "" : ">") + String.format(Locale.ROOT, "%.1f", drainSeconds),
                Double.isNaN(minimumSeconds) ? "—" : (complete ? "" : ">") + String.format(Locale.ROOT, "%.2f", drainSeconds / minimumSeconds),
                busiestSecond, refusals, forbidden, millis(50), millis(95), missing, duplicates, stale,
                pending < 0 ? "?" : Long.toString(pending));
    }

    /**
     * Several runs (or installations) together: counts added, the worst one-second window, freshness pooled; times
     * as means, so drain over minimum is total drain time over total minimum.
     */
    static FieldRow total(String label, List<FieldRow> rows) {
        return new FieldRow(label, rows.stream().map(FieldRow::crm).distinct().count() == 1 ? rows.get(0).crm() : "all",
                rows.stream().mapToInt(FieldRow::entries).sum(), rows.stream().mapToInt(FieldRow::calls).sum(),
                rows.stream().mapToInt(FieldRow::writes).sum(),
                rows.stream().mapToDouble(FieldRow::postSeconds).average().orElse(Double.NaN),
                rows.stream().mapToDouble(FieldRow::drainSeconds).average().orElse(Double.NaN),
                rows.stream().allMatch(FieldRow::complete),
                rows.stream().mapToDouble(FieldRow::minimumSeconds).average().orElse(Double.NaN),
                rows.stream().mapToInt(FieldRow::busiestSecond).max().orElse(0), rows.stream().mapToInt(FieldRow::refusals).sum(),
                rows.stream().mapToInt(FieldRow::forbidden).sum(),
                rows.stream().flatMapToLong(r -> LongStream.of(r.freshness())).sorted().toArray(),
                rows.stream().mapToInt(FieldRow::missing).sum(), rows.stream().mapToInt(FieldRow::duplicates).sum(),
                rows.stream().mapToInt(FieldRow::stale).sum(),
                rows.stream().anyMatch(r -> r.pending() < 0) ? -1 : rows.stream().mapToLong(FieldRow::pending).sum());
    }

    private String millis(double percentile) {
        if (freshness.length == 0) {
            return "—";
        }
        int rank = (int) Math.ceil(percentile / 100.0 * freshness.length) - 1;
        return String.format(Locale.ROOT, "%.0f", freshness[Math.max(0, Math.min(rank, freshness.length - 1))] / 1e6);
    }
}
