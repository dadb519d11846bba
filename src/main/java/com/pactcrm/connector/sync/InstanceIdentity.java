package com.pactcrm.connector.sync;

import io.micronaut.context.annotation.Value;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.util.UUID;

/**
 * Names this replica in leases and claims: {@code connector.instance-id} if set, else the host name
 * (the pod name on Kubernetes), plus a per-start suffix so a restarted replica never inherits what
 * its previous life held.
 */
@Singleton
public class InstanceIdentity {

    private final String id;

    @Inject
    public InstanceIdentity(@Value("${connector.instance-id:}") String configured) {
        String name = configured.isBlank() ? hostName() : configured.strip();
        String trimmed = name.length() > 40 ? name.substring(0, 40) : name;
        this.id = trimmed + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A fresh identity named after the host, for code that runs replicas side by side (tests). */
    public InstanceIdentity() {
        this("");
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "instance";
        }
    }

    public String id() {
        return id;
    }
}
