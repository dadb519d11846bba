package com.pactcrm.connector.testsupport;

import java.time.Duration;
import java.util.Arrays;

/**
 * The instants ({@link System#nanoTime()}) at which requests reached a fake, in the order they came. A fake
 * records an arrival the moment its transformer first sees the request, under its own lock, so the instants
 * are ascending: what a provider counts against its limits is arrivals, whatever it answers them.
 */
public final class Arrivals {

    private long[] at = new long[256];
    private int size;

    /** Records an arrival now. @return its instant */
    public synchronized long arrive() {
        long now = System.nanoTime();
        if (size == at.length) {
            at = Arrays.copyOf(at, size * 2);
        }
        at[size++] = now;
        return now;
    }

    /** Arrivals in the window that ends at {@code nanos} (exclusive start, inclusive end). */
    public synchronized int within(long nanos, Duration window) {
        long from = nanos - window.toNanos();
        int count = 0;
        for (int i = size - 1; i >= 0 && at[i] > from; i--) {
            if (at[i] <= nanos) {
                count++;
            }
        }
        return count;
    }

    /** Every arrival at or after {@code fromNanos}, ascending. */
    public synchronized long[] since(long fromNanos) {
        int first = 0;
        while (first < size && at[first] < fromNanos) {
            first++;
        }
        return Arrays.copyOfRange(at, first, size);
    }

    public synchronized void clear() {
        size = 0;
    }

    /** The most arrivals any window of this length held, exactly, over ascending instants. */
    public static int busiest(long[] ascending, Duration window) {
        long length = window.toNanos();
        int most = 0;
        int from = 0;
        for (int to = 0; to < ascending.length; to++) {
            while (ascending[to] - ascending[from] >= length) {
                from++;
            }
            most = Math.max(most, to - from + 1);
        }
        return most;
    }
}
