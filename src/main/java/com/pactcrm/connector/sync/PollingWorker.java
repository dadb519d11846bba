package com.pactcrm.connector.sync;

import com.pactcrm.connector.database.LockConflicts;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loop that polls for work, sleeps up to {@code pollInterval} when there is none, and can be
 * woken at once (a receiver that just journaled an event does that, so latency does not wait for
 * the next poll). A round hands its items to a pool of {@code threads} without waiting for them (an item
 * that ends wakes the loop); every {@code reapEvery} the worker first returns items whose lease expired
 * (their worker died) to the queue.
 */
public abstract class PollingWorker {

    private static final Logger LOG = LoggerFactory.getLogger(PollingWorker.class);

    private final String name;
    private final Duration pollInterval;
    private final Duration reapEvery;
    private final Clock clock;
    private final ExecutorService pool;
    private Instant nextReap = Instant.MIN;
    private final AtomicBoolean running = new AtomicBoolean();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition signal = lock.newCondition();
    private boolean woken;
    private Thread thread;

    protected PollingWorker(String name, Duration pollInterval, int threads, Duration reapEvery, Clock clock) {
        this.name = name;
        this.pollInterval = pollInterval;
        this.reapEvery = reapEvery;
        this.clock = clock;
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name + "-worker");
            t.setDaemon(true);
            return t;
        });
    }

    /** Does one round of work. @return how many items it handled (0 lets the loop sleep) */
    protected abstract int pollOnce();

    /** Returns items whose lease expired to the queue. @return how many */
    protected abstract int reapExpiredLeases();

    /** Runs a task on the pool without waiting for it; it should {@link #wake()} the loop when it ends. */
    protected void submit(Runnable task) {
        pool.submit(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.error("event=worker_task_failed worker={} error=\"{}\"", name, e.toString(), e);
            }
        });
    }

    private void round() {
        Instant now = clock.instant();
        if (now.isAfter(nextReap)) {
            nextReap = now.plus(reapEvery);
            int reaped = reapExpiredLeases();
            if (reaped > 0) {
                LOG.warn("event=leases_reaped worker={} count={}", name, reaped);
            }
        }
    }

    /**
     * Runs a first round on the calling thread, then loops on a thread of its own. The first round
     * creates the lazily built beans (interceptors, proxies) on the starting thread: a worker thread
     * creating them while the application context is still being built can deadlock on its locks.
     */
    public synchronized void start() {
        if (running.compareAndSet(false, true)) {
            try {
                round();
                pollOnce();
            } catch (RuntimeException e) {
                LOG.error("event=worker_first_round_failed worker={} error=\"{}\"", name, e.toString(), e);
            }
            thread = new Thread(this::loop, name);
            thread.setDaemon(true);
            thread.start();
            LOG.info("event=worker_started worker={}", name);
        }
    }

    /** Stops claiming new work; the work in progress, in the loop and on the pool, finishes (up to {@code grace}). */
    public synchronized void stop(Duration grace) {
        if (running.compareAndSet(true, false)) {
            long deadline = System.nanoTime() + grace.toNanos();
            wake();
            boolean finished = false;
            try {
                thread.join(grace.toMillis());
                pool.shutdown();
                finished = pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            LOG.info("event=worker_stopped worker={} finished={}", name, finished && !thread.isAlive());
        }
    }

    public boolean isRunning() {
        return running.get();
    }

    public void wake() {
        lock.lock();
        try {
            woken = true;
            signal.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        while (running.get()) {
            int handled;
            try {
                round();
                handled = pollOnce();
            } catch (RuntimeException e) {
                if (LockConflicts.isDeadlockVictim(e)) {
                    // A claim that lost a deadlock wrote nothing: claim again at once rather than after a poll.
                    LOG.info("event=worker_round_deadlocked worker={}", name);
                    continue;
                }
                LOG.error("event=worker_round_failed worker={} error=\"{}\"", name, e.toString(), e);
                handled = 0;
            }
            if (handled == 0 && running.get()) {
                awaitWork();
            }
        }
    }

    private void awaitWork() {
        lock.lock();
        try {
            if (!woken) {
                signal.await(pollInterval.toMillis(), TimeUnit.MILLISECONDS);
            }
            woken = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.set(false);
        } finally {
            lock.unlock();
        }
    }
}
