package com.pactcrm.connector.sync;

import io.micronaut.context.annotation.Value;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Instant;
import java.util.UUID;

/**
 * Names this replica. {@link #name()} is stable across restarts: {@code connector.instance-id} if set, else
 * the host name (the pod name on Kubernetes, kept when the container restarts after a crash or an OOM kill).
 * {@link #id()} adds a per-start suffix and names this start in leases and claims, so a restarted replica
 * never mistakes what its previous start held for its own work in flight; it finds that start by name and
 * resumes its installations at once instead of waiting for their leases to run out.
 */
@Singleton
public class InstanceIdentity {

    private final String name;
    private final String id;
    private final Instant startedAt;

    @Inject
    public InstanceIdentity(@Value("${connector.instance-id:}") String configured) {
        // The JVM's own start time, in milliseconds of this machine's clock: ProcessHandle's start instant on Linux is the
        // boot time (whole seconds in /proc/stat) plus clock ticks, measured here 0.8-0.9 s before the real start, and
        // an earlier start's last heartbeat in that gap made a restart take it for a live twin (20 s lost in case d).
        this(configured, Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime()));
    }

    /** One start of the replica {@code configured} (blank: the host name) begun at {@code startedAt}: tests run several in one process. */
    public InstanceIdentity(String configured, Instant startedAt) {
        String chosen = configured.isBlank() ? hostName() : configured.strip();
        this.name = chosen.length() > 40 ? chosen.substring(0, 40) : chosen;
        this.id = name + "-" + UUID.randomUUID().toString().substring(0, 8);
        this.startedAt = startedAt;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "instance";
        }
    }

    /** This start: lease owner and claim owner. */
    public String id() {
        return id;
    }

    /** The replica across its restarts. */
    public String name() {
        return name;
    }

    /** When this process started: any earlier start of the same replica had stopped calling out by then. */
    public Instant startedAt() {
        return startedAt;
    }
}
