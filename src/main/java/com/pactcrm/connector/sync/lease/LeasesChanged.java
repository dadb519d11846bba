package com.pactcrm.connector.sync.lease;

/** This replica's set of installations changed: workers wake up to claim the new ones' work. */
public record LeasesChanged(String owner, int held) {
}
