package com.pactcrm.connector.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Closed-loop load: {@code concurrency} threads, each on its own keep-alive connection, POST
 * back-to-back for a warm-up and then a measured window. Only requests that start inside the window
 * are counted; their latency is the time from writing the request to having read the whole answer.
 */
final class LoadPhase {

    /** What one phase measured. */
    record Result(String name, int concurrency, double seconds, long ok, long duplicates, long errors,
                  long warmupRequests, long[] sortedLatencyNanos, String firstError) {

        double perSecond() {
            return ok / seconds;
        }

        double percentileMillis(double p) {
            if (sortedLatencyNanos.length == 0) {
                return Double.NaN;
            }
            int rank = (int) Math.ceil(p / 100.0 * sortedLatencyNanos.length) - 1;
            return sortedLatencyNanos[Math.max(0, Math.min(rank, sortedLatencyNanos.length - 1))] / 1e6;
        }

        double maxMillis() {
            return sortedLatencyNanos.length == 0 ? Double.NaN : sortedLatencyNanos[sortedLatencyNanos.length - 1] / 1e6;
        }
    }

    /** Body per request and how to tell a good answer. */
    interface Target {
        byte[] nextBody();

        /** @return 1 good, 2 good but a duplicate, 0 an error */
        int classify(KeepAliveHttpConnection.Response response);
    }

    private LoadPhase() {
    }

    static Result run(String name, URI base, String path, Supplier<Target> target, int concurrency,
                      Duration warmup, Duration measure) throws InterruptedException {
        long begin = System.nanoTime() + 200_000_000L; // let all threads connect first
        long windowStart = begin + warmup.toNanos();
        long windowEnd = windowStart + measure.toNanos();
        List<Worker> workers = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(concurrency);
        for (int i = 0; i < concurrency; i++) {
            Worker w = new Worker(base, path, target.get(), begin, windowStart, windowEnd, done);
            workers.add(w);
            Thread t = new Thread(w, "bench-" + name + "-" + i);
            t.setDaemon(true);
            t.start();
        }
        done.await();
        long ok = 0;
        long dup = 0;
        long errors = 0;
        long warm = 0;
        int samples = 0;
        String firstError = null;
        for (Worker w : workers) {
            ok += w.ok;
            dup += w.duplicates;
            errors += w.errors;
            warm += w.warmup;
            samples += w.count;
            if (firstError == null) {
                firstError = w.firstError.get();
            }
        }
        long[] all = new long[samples];
        int at = 0;
        for (Worker w : workers) {
            System.arraycopy(w.latencies, 0, all, at, w.count);
            at += w.count;
        }
        Arrays.sort(all);
        return new Result(name, concurrency, measure.toNanos() / 1e9, ok, dup, errors, warm, all, firstError);
    }

    private static final class Worker implements Runnable {
        private final URI base;
        private final String path;
        private final Target target;
        private final long begin;
        private final long windowStart;
        private final long windowEnd;
        private final CountDownLatch done;
        private final AtomicReference<String> firstError = new AtomicReference<>();
        long[] latencies = new long[1 << 14];
        int count;
        long ok;
        long duplicates;
        long errors;
        long warmup;

        Worker(URI base, String path, Target target, long begin, long windowStart, long windowEnd, CountDownLatch done) {
            this.base = base;
            this.path = path;
            this.target = target;
            this.begin = begin;
            this.windowStart = windowStart;
            this.windowEnd = windowEnd;
            this.done = done;
        }

        @Override
        public void run() {
            try (KeepAliveHttpConnection connection = new KeepAliveHttpConnection(base)) {
                while (System.nanoTime() < begin) {
                    Thread.onSpinWait();
                    Thread.sleep(1);
                }
                while (true) {
                    byte[] body = target.nextBody();
                    long start = System.nanoTime();
                    if (start >= windowEnd) {
                        return;
                    }
                    int verdict;
                    String error = null;
                    try {
                        KeepAliveHttpConnection.Response response = connection.post(path, body);
                        verdict = target.classify(response);
                        if (verdict == 0) {
                            error = "HTTP " + response.status() + " " + abbreviate(response.text());
                        }
                    } catch (IOException e) {
                        verdict = 0;
                        error = e.toString();
                    }
                    long end = System.nanoTime();
                    if (start < windowStart) {
                        warmup++;
                        continue;
                    }
                    if (verdict == 0) {
                        errors++;
                        firstError.compareAndSet(null, error);
                        Thread.sleep(10); // don't spin on a refusing server
                        continue;
                    }
                    if (verdict == 2) {
                        duplicates++;
                    }
                    ok++;
                    if (count == latencies.length) {
                        latencies = Arrays.copyOf(latencies, count * 2);
                    }
                    latencies[count++] = end - start;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                done.countDown();
            }
        }

        private static String abbreviate(String s) {
            return s.length() > 200 ? s.substring(0, 200) + "…" : s;
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
