package com.pactcrm.connector.amocrm.install;

import com.pactcrm.connector.security.Hashes;
import jakarta.inject.Singleton;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/**
 * The {@code state} of amoCRM's button flow (amocrm.md §1.2): issued when an admin clicks "connect",
 * accepted once on the redirect back, within the authorization code's life (about 20 minutes). It ties
 * the callback to a click made on our page, so a crafted link cannot make the connector install an
 * account nobody asked for. The widget install hook has no state and does not need one.
 */
@Singleton
class AmoCrmOAuthStates {

    static final Duration LIFETIME = Duration.ofMinutes(20);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final AmoCrmOAuthStateRepository states;
    private final Clock clock;

    AmoCrmOAuthStates(AmoCrmOAuthStateRepository states, Clock clock) {
        this.states = states;
        this.clock = clock;
    }

    String issue() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String state = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Instant now = clock.instant();
        states.deleteIssuedBefore(now.minus(LIFETIME.multipliedBy(3)));
        states.issue(Hashes.sha256Hex(state), now);
        return state;
    }

    /** @return true exactly once per issued state, and only within {@link #LIFETIME} */
    boolean consume(String state) {
        if (state == null || state.isBlank() || state.length() > 128) {
            return false;
        }
        Instant now = clock.instant();
        return states.consume(Hashes.sha256Hex(state), now.minus(LIFETIME), now) == 1;
    }
}
