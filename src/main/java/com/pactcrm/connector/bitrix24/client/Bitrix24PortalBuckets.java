package com.pactcrm.connector.bitrix24.client;

import com.pactcrm.connector.bitrix24.Bitrix24Configuration;
import com.pactcrm.connector.sync.resilience.SharedLimiterStates;
import com.pactcrm.connector.sync.resilience.SharedLimiterStates.Outcome;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every portal's {@link Bitrix24LeakyBucket}, kept in the database ({@link SharedLimiterStates}): the portal counts
 * the requests of every replica (the relay on the installation's owner, an installer frame or a placement's checks on
 * any other), so each replica sees the others' requests in flight and landed before it takes room.
 */
@Singleton
class Bitrix24PortalBuckets {

    /** Longer than the read timeout (60 s): a request in flight longer was sent by a process that died. */
    private static final Duration MAX_IN_FLIGHT = Duration.ofMinutes(2);
    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24PortalBuckets.class);

    private final Bitrix24Configuration config;
    private final SharedLimiterStates states;

    Bitrix24PortalBuckets(Bitrix24Configuration config, SharedLimiterStates states) {
        this.config = config;
        this.states = states;
    }

    /** Room taken for one request (land it when answered), or how long until there may be room. */
    record Room(String memberId, long id, Duration waitTime) {
        boolean taken() {
            return waitTime.isZero();
        }
    }

    Room tryTake(String memberId) {
        return states.change(key(memberId), (state, now) -> {
            Bitrix24LeakyBucket bucket = restore(state, now);
            Bitrix24LeakyBucket.Taken taken = bucket.tryTake();
            return taken.granted()
                    ? new Outcome<>(bucket.state(), new Room(memberId, taken.id(), Duration.ZERO))
                    : Outcome.unchanged(new Room(memberId, 0, taken.waitTime()));
        });
    }

    void landed(Room room) {
        try {
            states.change(key(room.memberId()), (state, now) -> {
                Bitrix24LeakyBucket bucket = restore(state, now);
                bucket.landed(room.id());
                return new Outcome<>(bucket.state(), null);
            });
        } catch (RuntimeException e) {
            // The request is over; it counts as in flight until MAX_IN_FLIGHT, longer than it should, never less.
            LOG.warn("event=bitrix24_bucket_land_failed memberId={} error=\"{}\"", room.memberId(), e.getMessage());
        }
    }

    Duration nextRoomIn(String memberId) {
        return states.change(key(memberId), (state, now) -> Outcome.unchanged(restore(state, now).nextRoomIn()));
    }

    void pause(String memberId, Duration wait) {
        states.change(key(memberId), (state, now) -> {
            Bitrix24LeakyBucket bucket = restore(state, now);
            bucket.pauseUntil(now.plus(wait));
            return new Outcome<>(bucket.state(), null);
        });
    }

    private Bitrix24LeakyBucket restore(String state, Instant now) {
        return Bitrix24LeakyBucket.restore(config.burst(), config.drainPerSecond(), Clock.fixed(now, ZoneOffset.UTC), state,
                MAX_IN_FLIGHT);
    }

    private static String key(String memberId) {
        return SharedLimiterStates.key("bitrix24", memberId, "bucket");
    }
}
