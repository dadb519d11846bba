package com.pactcrm.connector.sync.lease;

import java.util.Set;

/**
 * This replica's set of installations changed: workers wake up to claim the new ones' work. {@code takenOver} are the
 * installations it now holds that had another owner (a dead replica, or this replica's own earlier start): what that
 * owner claimed and never finished is to be reclaimed at once.
 */
public record LeasesChanged(String owner, int held, Set<Long> takenOver) {
}
