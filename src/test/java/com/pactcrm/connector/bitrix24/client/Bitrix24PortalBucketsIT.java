package com.pactcrm.connector.bitrix24.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.bitrix24.Bitrix24Configuration;
import com.pactcrm.connector.sync.resilience.SharedLimiterStates;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Two replicas' views of one portal's bucket over one database, each with its own {@link SharedLimiterStates} as two
 * processes have: what one has in flight or just landed leaves the other no room, as the portal counts them together.
 */
@MicronautTest(transactional = false)
class Bitrix24PortalBucketsIT {

    @Inject
    Bitrix24Configuration config;
    @Inject
    DataSource dataSource;

    @Test
    void whatOneReplicaSentFillsTheBucketTheOtherSees() {
        Bitrix24PortalBuckets relayReplica = new Bitrix24PortalBuckets(config, new SharedLimiterStates(dataSource));
        Bitrix24PortalBuckets frameReplica = new Bitrix24PortalBuckets(config, new SharedLimiterStates(dataSource));
        String memberId = "portal" + System.nanoTime();
        List<Bitrix24PortalBuckets.Room> taken = new ArrayList<>();
        for (int i = 0; i < config.burst(); i++) {
            Bitrix24PortalBuckets.Room room = relayReplica.tryTake(memberId);
            assertTrue(room.taken(), "request " + i);
            taken.add(room);
        }

        assertFalse(frameReplica.tryTake(memberId).taken(), "the other replica's requests in flight fill the bucket");
        taken.forEach(relayReplica::landed);
        Duration wait = frameReplica.nextRoomIn(memberId);
        assertTrue(wait.compareTo(Duration.ofMillis(300)) > 0, "landed just now, they drain from now: " + wait);
        assertTrue(frameReplica.nextRoomIn("another" + memberId).isZero(), "only that portal");
    }

    @Test
    void aQueryLimitPauseOnOneReplicaHoldsTheOther() {
        Bitrix24PortalBuckets one = new Bitrix24PortalBuckets(config, new SharedLimiterStates(dataSource));
        Bitrix24PortalBuckets other = new Bitrix24PortalBuckets(config, new SharedLimiterStates(dataSource));
        String memberId = "paused" + System.nanoTime();

        one.pause(memberId, Duration.ofSeconds(20));

        Bitrix24PortalBuckets.Room room = other.tryTake(memberId);
        assertFalse(room.taken());
        assertTrue(room.waitTime().compareTo(Duration.ofSeconds(15)) > 0, room.waitTime().toString());
        assertEquals(0, room.id());
    }
}
