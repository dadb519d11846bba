package com.pactcrm.connector.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Posts webhooks to the service over HTTP as their senders do, each chain of them at its time and in order: to
 * the live replicas in turn, and again 250 ms after a refused or failed attempt (another replica, or the same one
 * once it is back: what a load balancer in front of restarting replicas gives Pact's retries) until accepted or
 * {@link #GIVE_UP_AFTER}. Records when each webhook was accepted, the instant freshness is measured from.
 */
final class WebhookSender implements AutoCloseable {

    static final Duration GIVE_UP_AFTER = Duration.ofMinutes(5);
    private static final long RETRY_NANOS = Duration.ofMillis(250).toNanos();

    /**
     * One webhook. {@code messageId} and {@code rank} (0 sent, 1 delivered, 2 read) say which timeline state it
     * asks for; 0 and -1 for webhooks no entry answers (amoCRM's echo of our own notes).
     */
    record Webhook(String path, String contentType, String body, long messageId, int rank, boolean created) {

        static Webhook echo(String path, String form) {
            return new Webhook(path, "application/x-www-form-urlencoded", form, 0, -1, false);
        }
    }

    record Accepted(Webhook webhook, long atNanos) {
    }

    private final Supplier<List<String>> live;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final ScheduledExecutorService pool;
    private final Queue<Accepted> accepted = new ConcurrentLinkedQueue<>();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger unfinished = new AtomicInteger();
    private final AtomicInteger retries = new AtomicInteger();
    private final AtomicInteger dropped = new AtomicInteger();
    private final AtomicInteger givenUp = new AtomicInteger();
    private volatile boolean stopped;

    /** @param live the base URLs of the replicas that take webhooks now (empty while none does) */
    WebhookSender(Supplier<List<String>> live, int threads) {
        this.live = live;
        this.pool = Executors.newScheduledThreadPool(threads, r -> {
            Thread t = new Thread(r, "field-bench-sender");
            t.setDaemon(true);
            return t;
        });
    }

    /** Posts {@code chain} in order, starting at {@code atNanos} ({@link System#nanoTime()}). */
    void post(long atNanos, List<Webhook> chain) {
        unfinished.incrementAndGet();
        Chain c = new Chain(chain);
        pool.schedule(c, Math.max(0, atNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** Chains not started yet are dropped from now on (their webhooks never happened); started ones finish. */
    void stopNew() {
        stopped = true;
    }

    /** @return whether every chain posted so far is finished (accepted, dropped or given up) */
    boolean awaitIdle(Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (unfinished.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return unfinished.get() == 0;
    }

    List<Accepted> accepted() {
        return List.copyOf(accepted);
    }

    int acceptedCount() {
        return accepted.size();
    }

    /** Attempts repeated after a refusal or a failed connection. */
    int retries() {
        return retries.get();
    }

    /** Webhooks never accepted within {@link #GIVE_UP_AFTER}. */
    int givenUp() {
        return givenUp.get();
    }

    int dropped() {
        return dropped.get();
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }

    private final class Chain implements Runnable {
        private final List<Webhook> webhooks;
        private int at;
        private long firstTry;

        Chain(List<Webhook> webhooks) {
            this.webhooks = webhooks;
        }

        @Override
        public void run() {
            if (at == 0 && firstTry == 0 && stopped) {
                dropped.addAndGet(webhooks.size());
                unfinished.decrementAndGet();
                return;
            }
            while (at < webhooks.size()) {
                long now = System.nanoTime();
                if (firstTry == 0) {
                    firstTry = now;
                }
                if (!tryPost(webhooks.get(at))) {
                    if (now - firstTry > GIVE_UP_AFTER.toNanos()) {
                        givenUp.addAndGet(webhooks.size() - at);
                        unfinished.decrementAndGet();
                        return;
                    }
                    retries.incrementAndGet();
                    pool.schedule(this, RETRY_NANOS, TimeUnit.NANOSECONDS);
                    return;
                }
                at++;
                firstTry = 0;
            }
            unfinished.decrementAndGet();
        }

        private boolean tryPost(Webhook webhook) {
            List<String> replicas = live.get();
            if (replicas.isEmpty()) {
                return false;
            }
            String base = replicas.get(Math.floorMod(next.getAndIncrement(), replicas.size()));
            long sentAt = System.nanoTime();
            try {
                HttpResponse<Void> response = client.send(HttpRequest.newBuilder(URI.create(base + webhook.path()))
                        .header("Content-Type", webhook.contentType()).header("User-Agent", "Pact-Webhooks/1.0")
                        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(webhook.body())).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    accepted.add(new Accepted(webhook, sentAt));
                    return true;
                }
                return false;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
