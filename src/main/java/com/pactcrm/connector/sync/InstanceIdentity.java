package com.pactcrm.connector.sync;

import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.util.UUID;

/** Names this replica in leases: host name (the pod name on Kubernetes) plus a per-start suffix. */
@Singleton
public class InstanceIdentity {

    private final String id;

    public InstanceIdentity() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "instance";
        }
        String trimmed = host.length() > 40 ? host.substring(0, 40) : host;
        this.id = trimmed + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public String id() {
        return id;
    }
}
