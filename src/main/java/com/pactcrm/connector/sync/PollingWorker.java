package com.pactcrm.connector.sync;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loop that polls for work, sleeps up to {@code pollInterval} when there is none, and can be
 * woken at once (a receiver that just journaled an event does that, so latency does not wait for
 * the next poll).
 */
public abstract class PollingWorker {

    private static final Logger LOG = LoggerFactory.getLogger(PollingWorker.class);

    private final String name;
    private final Duration pollInterval;
    private final AtomicBoolean running = new AtomicBoolean();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition signal = lock.newCondition();
    private boolean woken;
    private Thread thread;

    protected PollingWorker(String name, Duration pollInterval) {
        this.name = name;
        this.pollInterval = pollInterval;
    }

    /** Does one round of work. @return how many items it handled (0 lets the loop sleep) */
    protected abstract int pollOnce();

    /**
     * Runs a first round on the calling thread, then loops on a thread of its own. The first round
     * creates the lazily built beans (interceptors, proxies) on the starting thread: a worker thread
     * creating them while the application context is still being built can deadlock on its locks.
     */
    public synchronized void start() {
        if (running.compareAndSet(false, true)) {
            try {
                pollOnce();
            } catch (RuntimeException e) {
                LOG.error("event=worker_first_round_failed worker={} error={}", name, e.toString(), e);
            }
            thread = new Thread(this::loop, name);
            thread.setDaemon(true);
            thread.start();
            LOG.info("event=worker_started worker={}", name);
        }
    }

    /** Stops claiming new work; the round in progress finishes (up to {@code grace}). */
    public synchronized void stop(Duration grace) {
        if (running.compareAndSet(true, false)) {
            wake();
            try {
                thread.join(grace.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            LOG.info("event=worker_stopped worker={} finished={}", name, !thread.isAlive());
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
                handled = pollOnce();
            } catch (RuntimeException e) {
                LOG.error("event=worker_round_failed worker={} error={}", name, e.toString(), e);
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
